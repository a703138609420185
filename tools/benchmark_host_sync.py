#!/usr/bin/env python
"""What reading the loss values every step costs: a training step of the demo FCN (96 x 96, batch 8) with
and without the train loop's read (stack, .tolist(), finiteness), interleaved; medians. Usage:

    OMP_NUM_THREADS=1 python tools/benchmark_host_sync.py [--steps 20]
"""
import sys

from seg_engine.analysis.host_sync_cost import main

if __name__ == "__main__":
    sys.exit(main())
