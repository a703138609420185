"""What tools/benchmark.py runs: the speed and memory of a config's model (inference, a training step, the window
batch sizes of the sliding window), or the comparison with mmsegmentation's own model."""
from __future__ import annotations

import argparse
import os

from ..data import build_train_loader
from ..modeling import build_model
from . import compare_mmseg
from .benchmark import benchmark_inference, benchmark_training, compare_window_batches, environment


def run_compare_mmseg(args: argparse.Namespace, cfg) -> dict:
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


def benchmark_model(args: argparse.Namespace, cfg) -> dict:
    """The results of tools/benchmark.py's arguments ``args`` on the config ``cfg``, with the environment."""
    if (args.mmseg_config or args.weights_format) and not args.compare_mmseg:
        raise ValueError("--mmseg-config and --weights-format go with --compare-mmseg")
    if args.compare_mmseg:
        return run_compare_mmseg(args, cfg)
    model = build_model(cfg)
    if args.window_batches:
        result = compare_window_batches(model, tuple(args.input_size), args.window_batches, args.iters, args.warmup)
        return {"environment": environment(), "device": str(model.pixel_mean.device), "mode": "window_batches",
                "input_size": list(args.input_size), **result}
    if args.train:
        loader = build_train_loader(cfg) if args.with_data else None
        result = benchmark_training(cfg, model, args.iters, args.warmup, loader)
    else:
        result = benchmark_inference(model, tuple(args.input_size), args.batch, args.iters, args.warmup)
    return {"environment": environment(), "device": str(model.pixel_mean.device),
            "mode": "train" if args.train else "inference", **result}
