#!/usr/bin/env python
"""Inference (or training) speed and peak memory of a config's model, warm-up excluded:

    python tools/benchmark.py --config-file CONFIG.yaml [--input-size 512 512] [--batch 1] [--iters 20]
    python tools/benchmark.py --config-file CONFIG.yaml --train [--with-data] [--iters 10]
    python tools/benchmark.py --config-file CONFIG.yaml --window-batches 1 8 [--iters 5] TEST.MODE slide
    python tools/benchmark.py --config-file CONFIG.yaml --compare-mmseg [--mmseg-config PATH] [--weights-format NAME]

Inference runs the config's test protocol on synthetic images; --train times forward, backward and the
optimizer step at INPUT.TRAIN.CROP_SIZE and SOLVER.IMS_PER_BATCH, on one reused synthetic batch or,
with --with-data, on the training loader (data time included). --window-batches times the test protocol
at each TEST.WINDOW_BATCH, interleaved in one process, and reports medians and the scores' differences.
--compare-mmseg builds the same model through mmsegmentation's own code (installed separately), loads its
weights into ours through the converter, refuses to go on unless both give the same logits, then times
inference and a training step of both, interleaved (--iters rounds), and reports the ratio ours/mmseg.
"""
import json
import os
import sys

from seg_engine.analysis import benchmark_inference, benchmark_training
from seg_engine.analysis import compare_mmseg
from seg_engine.analysis.benchmark import compare_window_batches, environment
from seg_engine.data import build_train_loader
from seg_engine.modeling import build_model
from seg_engine.utils.cli import load_config, run_tool, tool_parser


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
    return p


def run_compare_mmseg(args, cfg) -> dict:
    """--compare-mmseg: the pairing and the protocol checked before mmseg is imported, then the comparison."""
    if args.train or args.with_data or args.window_batches:
        raise ValueError("--compare-mmseg times inference and a training step itself: drop --train, --with-data "
                         "and --window-batches")
    load_before = os.getloadavg()
    converter, config = compare_mmseg.select_mmseg_model(cfg, args.weights_format, args.mmseg_config)
    model = build_model(cfg)
    compare_mmseg.check_single_view(model.test_protocol)
    compare_mmseg.import_mmseg()
    theirs = compare_mmseg.build_mmseg_model(cfg, config)
    compare_mmseg.load_same_weights(model, theirs, converter)
    result = compare_mmseg.compare_with_mmseg(cfg, model, theirs, tuple(args.input_size), args.batch,
                                              args.iters, args.warmup)
    env = {**environment(), **compare_mmseg.versions(), "load_average_1_5_15_min_before": list(load_before),
           "load_average_1_5_15_min_after": list(os.getloadavg())}
    return {"environment": env, "device": str(model.pixel_mean.device), "mode": "compare_mmseg",
            "config_file": args.config_file, "converter": converter, "mmseg_config": config, **result}


def main(args):
    if (args.mmseg_config or args.weights_format) and not args.compare_mmseg:
        raise ValueError("--mmseg-config and --weights-format go with --compare-mmseg")
    cfg = load_config(args)
    if args.compare_mmseg:
        print(json.dumps(run_compare_mmseg(args, cfg), indent=2))
        return
    model = build_model(cfg)
    if args.window_batches:
        result = compare_window_batches(model, tuple(args.input_size), args.window_batches, args.iters, args.warmup)
        print(json.dumps({"environment": environment(), "device": str(model.pixel_mean.device),
                          "mode": "window_batches", "input_size": list(args.input_size), **result}, indent=2))
        return
    if args.train:
        loader = build_train_loader(cfg) if args.with_data else None
        result = benchmark_training(cfg, model, args.iters, args.warmup, loader)
    else:
        result = benchmark_inference(model, tuple(args.input_size), args.batch, args.iters, args.warmup)
    print(json.dumps({"environment": environment(), "device": str(model.pixel_mean.device),
                      "mode": "train" if args.train else "inference", **result}, indent=2))


if __name__ == "__main__":
    sys.exit(run_tool(main, parser()))
