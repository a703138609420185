#!/usr/bin/env python
"""Convert an outside checkpoint (e.g. the authors' released weights) to a seg_engine checkpoint.

    python tools/convert_weights.py --format NAME IN.pth OUT.pth [--plugin P]

NAME is a registered converter (see --list). The output holds ``{"model": state_dict}`` and loads
with MODEL.WEIGHTS and no MODEL.WEIGHTS_FORMAT.
"""
from __future__ import annotations

import argparse
import sys

import torch

from seg_engine.checkpoint import WEIGHT_CONVERTERS, atomic_write, convert_weights
from seg_engine.plugins import load_plugins


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", help="name of the converter")
    parser.add_argument("--plugin", action="append", default=[], help="import a project that is not installed")
    parser.add_argument("--list", action="store_true", help="list the registered converters and exit")
    parser.add_argument("input", nargs="?")
    parser.add_argument("output", nargs="?")
    args = parser.parse_args(argv)
    load_plugins(args.plugin)
    if args.list:
        print("\n".join(sorted(name for name, _ in WEIGHT_CONVERTERS)))
        return 0
    if not (args.format and args.input and args.output):
        parser.error("--format, IN and OUT are required")
    loaded = torch.load(args.input, map_location="cpu", weights_only=True)
    state = convert_weights(loaded, args.format)
    atomic_write(args.output, lambda f: torch.save({"model": state}, f))
    print(f"wrote {len(state)} tensors to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
