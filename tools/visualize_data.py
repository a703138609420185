#!/usr/bin/env python
"""Pictures of the training data, image | mask | overlay (ignored pixels white):

    python tools/visualize_data.py --config-file CONFIG.yaml --output vis/ [--source dataloader|annotation] [--num 16]

--source dataloader shows what the training loader yields after the augmentations (the same SEED gives
the same files); --source annotation shows the images and masks as stored (mapped to train ids).
"""
import sys

from seg_engine.data.visualize import visualize_data
from seg_engine.utils.cli import config_of, run_tool, tool_parser


def parser():
    p = tool_parser("visualize_data.py", __doc__.splitlines()[0])
    p.add_argument("--output", required=True)
    p.add_argument("--source", choices=("dataloader", "annotation"), default="dataloader")
    p.add_argument("--num", type=int, default=16, help="how many pictures")
    return p


def main(args):
    files = visualize_data(config_of(args), args.output, args.source, args.num)
    print(f"{len(files)} pictures written to {args.output}")


if __name__ == "__main__":
    sys.exit(run_tool(main, parser()))
