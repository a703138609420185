#!/usr/bin/env python
"""Scan a registered dataset for problems and report its class pixel frequencies:

    python tools/check_dataset.py NAME [--num-workers N] [--config-file X.yaml] [--plugin P]

Reports images without masks (and masks without images), missing and unreadable files, masks whose size
differs from their image's, and labels outside the classes after the dataset's label map; then a table
of pixels and images per class. Exits with 1 when it found a problem, 2 when the dataset cannot be listed.
"""
import argparse
import os
import sys

from seg_engine.data.check import check_dataset


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="a registered dataset, e.g. ade20k_150_val")
    parser.add_argument(
        "--num-workers", type=int, default=os.cpu_count() or 1, help="processes that scan (default: every core)"
    )
    parser.add_argument(
        "--config-file",
        default="",
        help="a config whose DATASETS.FOLDER registers the dataset; its MODEL.NUM_CLASSES and IGNORE_VALUE "
        "apply when the dataset's metadata has no classes or ignore label",
    )
    parser.add_argument(
        "--plugin", action="append", default=[], help="a project (module or folder) that registers datasets"
    )
    parser.add_argument("--max-listed", type=int, default=20, help="messages shown per kind of problem")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    return check_dataset(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
