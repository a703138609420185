#!/usr/bin/env python
"""The GPU benchmark of issue 16 (run it where a GPU is lent; tools/gpu_benchmark.sh sets it up):

    python tools/gpu_benchmark.py [--out results.json] [--iters 20] [--skip-compile]

PSPNet-R50 (the mmseg ADE20K recipe) at 512 x 512, batch 8, on synthetic data: training images/s and peak
memory for fp32, bf16, bf16 + channels-last, bf16 + channels-last + fused SGD, the same reading the loss
values every step (the host synchronisation of the train loop), and bf16 + channels-last + compile;
then evaluation images/s: the whole 512 x 512 image (batch 1 and 8) and the sliding window on a
512 x 1024 image (windows of 512 every 341) with TEST.WINDOW_BATCH 1 and 8. Each result is printed as
it comes and all are written to --out.
"""
import sys

from seg_engine.analysis.gpu_suite import main

RECIPE = "seg_engine://PSPNet/ade20k/pspnet_R50_512x512_80k_ade20k_mmseg.yaml"

if __name__ == "__main__":
    sys.exit(main(RECIPE))
