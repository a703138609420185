#!/usr/bin/env python
"""Translate an mmsegmentation 1.x config (with its _base_ chain) into a seg_engine recipe.

    python tools/import_mmseg_config.py CONFIG.py -o recipe.yaml [--num-gpus N]

Everything the config sets that has no equivalent here is listed in one error (exit status 1);
settings without effect here (logging, visualisation, TTA) are named in the recipe's header.
The recipe is checked by loading it (with every installed project and --plugin) before it is written.
"""
from __future__ import annotations

import argparse
import os
import sys

from seg_engine.checkpoint import atomic_write
from seg_engine.config import get_cfg
from seg_engine.interop.mmseg_config import load_mmseg_config, to_yaml, translate
from seg_engine.plugins import load_plugins
from seg_engine.utils.cli import run_tool


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="import_mmseg_config", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help="an mmsegmentation 1.x config file (.py)")
    parser.add_argument("-o", "--output", required=True, help="the recipe (.yaml) to write")
    parser.add_argument("--num-gpus", type=int, default=None,
                        help="GPUs of the mmseg run (total batch = N x batch_size); default: NxbM in the file name")
    parser.add_argument("--plugin", action="append", default=[], help="import a project that is not installed")
    parser.add_argument("--debug", action="store_true", help="show the traceback of errors")
    return parser


def import_config(args: argparse.Namespace) -> None:
    """Translate ``args.config`` and write the recipe; what cannot be translated is one error (exit 2)."""
    load_plugins(args.plugin)
    name = os.path.splitext(os.path.basename(args.config))[0]
    keys, ignored = translate(load_mmseg_config(args.config), name, args.num_gpus)
    text = to_yaml(keys, args.config, ignored)
    cfg = get_cfg()  # the recipe must load: every key known (its project installed or --plugin) and typed
    cfg.merge_from_other_cfg(cfg.load_cfg(text))
    atomic_write(args.output, lambda f: f.write(text.encode()))
    print(f"wrote {args.output} ({len(keys)} keys)")


def main(argv=None) -> int:
    return run_tool(import_config, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
