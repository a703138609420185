#!/usr/bin/env python
"""Convert an outside checkpoint (e.g. the authors' released weights) to a seg_engine checkpoint.

    python tools/convert_weights.py [--format NAME] IN OUT.pth [--plugin P] [--debug]

IN is a file, a URL or a weights name (open-mmlab://resnet50_v1c, torchvision://vgg16, zoo://NAME, ...;
docs/model_zoo.md), downloaded once into the cache. NAME is a registered converter (see --list); a
weights name implies its own, and --format wins over it. The output holds ``{"model": state_dict}`` and
loads with MODEL.WEIGHTS and no MODEL.WEIGHTS_FORMAT. Errors print one line and exit with status 2.
"""
from __future__ import annotations

import argparse
import os
import sys

import torch

from seg_engine.checkpoint import LAYOUTS, WEIGHT_CONVERTERS, atomic_write, convert_weights, fetch_weights, load_torch_file
from seg_engine.plugins import load_plugins
from seg_engine.utils.cli import run_tool


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convert_weights", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", default="", help="name of the converter (default: the one IN's name implies)")
    parser.add_argument("--plugin", action="append", default=[], help="import a project that is not installed")
    parser.add_argument("--list", action="store_true", help="list the registered converters and exit")
    parser.add_argument("--debug", action="store_true", help="show the traceback of errors")
    parser.add_argument("input", nargs="?", help="a file, URL or weights name")
    parser.add_argument("output", nargs="?")
    return parser


def converter_table() -> str:
    """One line per registered converter: its name, what it loads and where those files come from, and the recipe
    whose model it loads into."""
    lines = []
    for name in sorted(name for name, _ in WEIGHT_CONVERTERS):
        layout = LAYOUTS.get(name)
        if layout is None:  # a plugin's plain converter function
            doc = (WEIGHT_CONVERTERS.get(name).__doc__ or "").strip().splitlines()
            lines.append(f"{name}: {doc[0] if doc else 'no description'}")
            continue
        into = f" -> {layout.recipe}" if layout.recipe else ""
        lines.append(f"{name}: {layout.source}{into}")
    return "\n".join(lines)


def convert(args: argparse.Namespace) -> None:
    load_plugins(args.plugin)
    if args.list:
        print(converter_table())
        return
    if not (args.input and args.output):
        raise ValueError("IN and OUT are required (or --list)")
    path, implied_format = fetch_weights(args.input)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{args.input} does not exist")
    weights_format = args.format or implied_format
    if not weights_format:
        raise ValueError(f"--format is required: {args.input} implies no converter (see --list)")
    state = convert_weights(load_torch_file(path), weights_format)
    atomic_write(args.output, lambda f: torch.save({"model": state}, f))
    print(f"wrote {len(state)} tensors to {args.output} ({weights_format})")


def main(argv=None) -> int:
    return run_tool(convert, build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
