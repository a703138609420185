#!/usr/bin/env python
"""Time per image of SemSegEvaluator.process on synthetic scores and masks:

    python tools/benchmark_evaluator.py [--size 512 1024] [--classes 19] [--rounds 30] [--device cpu]
    python tools/benchmark_evaluator.py --baseline-file OLD/sem_seg_evaluation.py   # interleaved before/after

With --baseline-file the SemSegEvaluator of that file (e.g. ``git show REV:seg_engine/evaluation/
sem_seg_evaluation.py > old.py``) is timed too, alternating image by image with the current one, and the
two confusion matrices are compared.
"""
import sys

from seg_engine.analysis.evaluator_speed import main

if __name__ == "__main__":
    sys.exit(main())
