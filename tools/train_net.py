#!/usr/bin/env python
"""The one entry point to train and evaluate (seg_engine.engine.train_net):

    python tools/train_net.py --config-file X.yaml [--eval-only] [--resume] [--plugin P] [KEY VALUE ...]
"""
import sys

from seg_engine.engine.train_net import cli, default_argument_parser, evaluate, main, setup  # noqa: F401 (the tests' API)

if __name__ == "__main__":
    sys.exit(cli())
