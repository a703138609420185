#!/usr/bin/env python
"""Inference (or training) speed and peak memory of a config's model, warm-up excluded:

    python tools/benchmark.py --config-file CONFIG.yaml [--input-size 512 512] [--batch 1] [--iters 20]
    python tools/benchmark.py --config-file CONFIG.yaml --train [--with-data] [--iters 10]
    python tools/benchmark.py --config-file CONFIG.yaml --window-batches 1 8 [--iters 5] TEST.MODE slide
    python tools/benchmark.py --config-file CONFIG.yaml --compare-mmseg [--mmseg-config PATH] [--weights-format NAME]
    python tools/benchmark.py --config-file CONFIG.yaml --backends eager torchscript pt2 onnxruntime [--compare-mmseg] \
        [--input-size 512 1024] [--iters 10] [--warmup 2] [--threads N] [--export-dir DIR]

Inference runs the config's test protocol on synthetic images; --train times forward, backward and the
optimizer step at INPUT.TRAIN.CROP_SIZE and SOLVER.IMS_PER_BATCH, on one reused synthetic batch or,
with --with-data, on the training loader (data time included). --window-batches times the test protocol
at each TEST.WINDOW_BATCH, interleaved in one process, and reports medians and the scores' differences.
--compare-mmseg builds the same model through mmsegmentation's own code (installed separately), loads its
weights into ours through the converter, refuses to go on unless both give the same logits, then times
inference and a training step of both, interleaved (--iters rounds), and reports the ratio ours/mmseg.
--backends exports the model (TorchScript, torch.export's .pt2, ONNX; each file checked against PyTorch) and times
one whole-image pass (raw RGB in, logits at the input size out) of each backend on the CPU, batch 1, interleaved,
p50/p90; with --compare-mmseg, mmsegmentation's model (same weights, logits checked) runs in the same rounds, and
each backend's ratio to it is reported. Every timing is of random weights.
"""
import json
import sys

from seg_engine.analysis.benchmark_model import benchmark_model
from seg_engine.analysis.deploy_latency import BACKENDS
from seg_engine.utils.cli import config_of, run_tool, tool_parser


def parser():
    p = tool_parser("benchmark.py", __doc__.splitlines()[0])
    p.add_argument("--input-size", type=int, nargs=2, default=(512, 512), metavar=("H", "W"))
    p.add_argument("--batch", type=int, default=1, help="images per inference call")
    p.add_argument("--iters", type=int, default=20, help="timed iterations")
    p.add_argument("--warmup", type=int, default=5, help="untimed iterations first")
    p.add_argument("--train", action="store_true", help="time training steps instead of inference")
    p.add_argument("--with-data", action="store_true", help="with --train: take batches from the training loader")
    p.add_argument("--window-batches", type=int, nargs="+", metavar="B",
                   help="compare these TEST.WINDOW_BATCH values, interleaved (--iters rounds)")
    p.add_argument("--compare-mmseg", action="store_true",
                   help="against mmsegmentation's own model with the same weights: inference and a training "
                        "step, interleaved (--iters rounds), ratio ours/mmseg (needs mmsegmentation installed)")
    p.add_argument("--mmseg-config", default="", metavar="PATH",
                   help="with --compare-mmseg: the mmsegmentation config of the model (default: from the recipe)")
    p.add_argument("--weights-format", default="", metavar="CONVERTER",
                   help="with --compare-mmseg: the converter of mmseg's state dict to ours (default: from the recipe)")
    p.add_argument("--backends", nargs="+", choices=BACKENDS, metavar="BACKEND",
                   help=f"time one image through each of these on the CPU, interleaved ({', '.join(BACKENDS)})")
    p.add_argument("--threads", type=int, default=0,
                   help="with --backends: intra-op threads of PyTorch and onnxruntime alike (default: their own)")
    p.add_argument("--export-dir", default="", metavar="DIR",
                   help="with --backends: keep model.pt and model.onnx here (default: a temporary folder)")
    return p


def main(args):
    print(json.dumps(benchmark_model(args, config_of(args)), indent=2))


if __name__ == "__main__":
    sys.exit(run_tool(main, parser()))
