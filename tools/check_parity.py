#!/usr/bin/env python
"""Check a weight converter against its reference: the reference model with random weights, saved in its own
layout, loaded here through the converter (MODEL.WEIGHTS + MODEL.WEIGHTS_FORMAT, and offline through
tools/convert_weights.py), logits compared at two sizes (docs/parity.md).

    python tools/check_parity.py CONVERTER [--reference-root DIR] [--sizes 97x65,128x96] [--json FILE] [--negative]
    python tools/check_parity.py --list
"""
import os
import sys

from seg_engine.parity.tool import main

if __name__ == "__main__":
    sys.exit(main(convert_tool=os.path.join(os.path.dirname(os.path.abspath(__file__)), "convert_weights.py")))
