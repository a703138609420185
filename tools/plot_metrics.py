#!/usr/bin/env python
"""Curves of metrics.json keys from one or more runs into one PNG (needs matplotlib: pip install -e ".[plots]"):

    python tools/plot_metrics.py output/a/metrics.json [output/b/metrics.json ...] \\
        --keys total_loss sem_seg/mIoU --output curves.png

Iterations that a resume ran twice are drawn once (the resumed run's values).
"""
import argparse
import sys

from seg_engine.analysis import plot_metrics
from seg_engine.utils.cli import run_tool


def parser():
    p = argparse.ArgumentParser(prog="plot_metrics.py", description=__doc__.splitlines()[0])
    p.add_argument("metrics", nargs="+", help="metrics.json files")
    p.add_argument("--keys", nargs="+", default=["total_loss"], help="keys to plot, one subplot each")
    p.add_argument("--labels", nargs="*", default=[], help="a legend label per file (default: the paths)")
    p.add_argument("--output", default="metrics.png")
    p.add_argument("--debug", action="store_true", help="show the traceback of errors")
    return p


def main(args):
    counts = plot_metrics(args.metrics, args.keys, args.output, args.labels)
    print(f"{args.output}: " + ", ".join(f"{k} ({n} points)" for k, n in counts.items()))


if __name__ == "__main__":
    sys.exit(run_tool(main, parser()))
