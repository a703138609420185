#!/usr/bin/env python
"""Parameters per module, FLOPs of one view, and what the config's test protocol multiplies them by:

    python tools/analyze_model.py --config-file CONFIG.yaml [--input-size 512 512] [--depth 2]

FLOPs are fvcore's count (one multiply-add is one FLOP) of a whole-image pass; the protocol's views
(sliding windows x scales x flips) are counted for one image of --input-size after INPUT.TEST's resize.
"""
import sys

from tabulate import tabulate

from seg_engine.analysis import count_flops, parameter_table, protocol_views
from seg_engine.modeling import build_model
from seg_engine.utils.cli import config_of, run_tool, tool_parser


def parser():
    p = tool_parser("analyze_model.py", __doc__.splitlines()[0])
    p.add_argument("--input-size", type=int, nargs=2, default=(512, 512), metavar=("H", "W"))
    p.add_argument("--depth", type=int, default=2, help="module levels in the parameter table")
    return p


def main(args):
    cfg = config_of(args)
    cfg.MODEL.DEVICE = "cpu"
    model = build_model(cfg).eval()
    rows = [(name or "(model)", f"{total:,}", f"{trainable:,}") for name, total, trainable in parameter_table(model, args.depth)]
    print(tabulate(rows, headers=["module", "parameters", "trainable"], tablefmt="pipe", stralign="right"))
    size = tuple(args.input_size)
    one_view = count_flops(model, size)
    print(f"\nFLOPs of one whole-image view at {size[0]}x{size[1]}: {one_view / 1e9:.2f} G")
    views = protocol_views(cfg, size)
    total = sum(n * (one_view if s == size else count_flops(model, s)) for s, n in views.items())
    described = ", ".join(f"{n} x {h}x{w}" for (h, w), n in sorted(views.items()))
    print(f"Test protocol ({cfg.TEST.MODE}, scales {tuple(cfg.TEST.SCALES)}, flip {cfg.TEST.FLIP}) on one "
          f"{size[0]}x{size[1]} image: {sum(views.values())} views ({described}), {total / 1e9:.2f} GFLOPs")


if __name__ == "__main__":
    sys.exit(run_tool(main, parser()))
