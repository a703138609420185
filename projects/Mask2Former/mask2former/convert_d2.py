"""Convert the authors' released Mask2Former ``.pkl`` to a seg_engine checkpoint that MODEL.WEIGHTS loads:

    python -m seg_engine_projects.mask2former.convert_d2 model_final_XXXX.pkl OUT.pth

The file is read with :func:`seg_engine_projects.mask2former.converters.d2.read_d2_pkl` (numpy arrays only, no code
run) and its keys renamed by the ``d2_mask2former`` or, for a Swin, the ``d2_mask2former_swin`` layout; errors print
one line (exit 2, traceback with --debug).
"""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

import torch

from seg_engine.checkpoint import atomic_write, convert_weights
from seg_engine.utils.cli import run_tool

from .converters.d2 import read_d2_pkl


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="convert_d2", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="the authors' .pkl")
    parser.add_argument("output", help="the checkpoint to write ({'model': state_dict})")
    parser.add_argument("--debug", action="store_true", help="show the traceback of errors")

    def convert(args: argparse.Namespace) -> None:
        state = read_d2_pkl(args.input)
        swin = any(key.startswith("backbone.patch_embed.") for key in state)
        state = convert_weights(state, "d2_mask2former_swin" if swin else "d2_mask2former")
        atomic_write(args.output, lambda f: torch.save({"model": state}, f))
        print(f"wrote {len(state)} tensors to {args.output}")

    return run_tool(convert, parser, argv)


if __name__ == "__main__":
    sys.exit(main())
