"""What tools/benchmark.py runs: the speed and memory of a config's model (inference, a training step, the window
batch sizes of the sliding window, the latency of its exported files), or the comparison with mmsegmentation's own
model."""
from __future__ import annotations

import argparse
import os
from typing import Any, Dict, Optional

import torch
from torch import nn

from ..config import CfgNode
from ..data import build_train_loader
from ..modeling import build_model
from ..deploy.export import check_input_size
from . import compare_mmseg
from .benchmark import benchmark_inference, benchmark_training, compare_window_batches, environment
from .deploy_latency import benchmark_backends


def _for_backends(args: argparse.Namespace, cfg: CfgNode) -> CfgNode:
    """--backends times one whole-image pass of one image through the exported files, which run on the CPU: the
    config on the CPU with TEST.MODE whole (mmsegmentation's model then predicts the whole image too)."""
    if args.batch != 1:
        raise ValueError(f"--backends times one image (the exported files take batch 1): drop --batch {args.batch}")
    check_input_size(tuple(args.input_size), dynamic=False)
    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.DEVICE = "cpu"
    cfg.TEST.MODE, cfg.TEST.FLIP, cfg.TEST.SCALES = "whole", False, (1.0,)
    if args.threads:
        torch.set_num_threads(args.threads)
    return cfg


def run_backends(args: argparse.Namespace, model: nn.Module, mmseg: Optional[Dict[str, Any]] = None) -> dict:
    """--backends: the latency of ``model``'s whole-image pass in each backend on the CPU, batch 1, interleaved
    with mmsegmentation's model (``mmseg["model"]``, same weights, logits already checked) when given."""
    load_before = os.getloadavg()
    others = {}
    if mmseg:
        theirs, mean, std = mmseg.pop("model").eval(), model.pixel_mean, model.pixel_std
        others["mmseg"] = lambda image: compare_mmseg.mmseg_logits(theirs, (image - mean) / std)
    result = benchmark_backends(model, tuple(args.input_size), args.backends, args.iters, args.warmup, args.threads,
                                args.export_dir, others)
    env = {**environment(), **(compare_mmseg.versions() if mmseg else {})}
    if "onnxruntime" in args.backends:
        import onnxruntime

        env.update(onnxruntime=onnxruntime.__version__, onnxruntime_threads=args.threads or "default")
    env.update(load_average_1_5_15_min_before=list(load_before), load_average_1_5_15_min_after=list(os.getloadavg()))
    return {"environment": env, "device": "cpu", "mode": "backends", "config_file": args.config_file,
            **(mmseg or {}), **result}


def run_compare_mmseg(args: argparse.Namespace, cfg: CfgNode) -> dict:
    """--compare-mmseg: the pairing and the protocol checked before mmseg is imported, then the comparison (with
    --backends: the logits at the input size, then the latency of our backends and of mmseg's model, interleaved)."""
    if args.train or args.with_data or args.window_batches:
        raise ValueError("--compare-mmseg times inference and a training step itself: drop --train, --with-data "
                         "and --window-batches")
    if args.backends:
        cfg = _for_backends(args, cfg)
    load_before = os.getloadavg()
    converter, config = compare_mmseg.select_mmseg_model(cfg, args.weights_format, args.mmseg_config)
    model = build_model(cfg)
    compare_mmseg.check_single_view(model.test_protocol)
    compare_mmseg.import_mmseg()
    theirs = compare_mmseg.build_mmseg_model(cfg, config)
    compare_mmseg.load_same_weights(model, theirs, converter)
    if args.backends:
        difference = compare_mmseg.same_logits(model, theirs, tuple(args.input_size))
        return run_backends(args, model, {"model": theirs, "converter": converter, "mmseg_config": config,
                                          "logits": difference})
    result = compare_mmseg.compare_with_mmseg(cfg, model, theirs, tuple(args.input_size), args.batch,
                                              args.iters, args.warmup)
    env = {**environment(), **compare_mmseg.versions(), "load_average_1_5_15_min_before": list(load_before),
           "load_average_1_5_15_min_after": list(os.getloadavg())}
    return {"environment": env, "device": str(model.pixel_mean.device), "mode": "compare_mmseg",
            "config_file": args.config_file, "converter": converter, "mmseg_config": config, **result}


def benchmark_model(args: argparse.Namespace, cfg: CfgNode) -> dict:
    """The results of tools/benchmark.py's arguments ``args`` on the config ``cfg``, with the environment."""
    if (args.mmseg_config or args.weights_format) and not args.compare_mmseg:
        raise ValueError("--mmseg-config and --weights-format go with --compare-mmseg")
    if (args.threads or args.export_dir) and not args.backends:
        raise ValueError("--threads and --export-dir go with --backends")
    if args.threads < 0:
        raise ValueError(f"--threads must be 0 (the backends' own defaults) or a positive number, got {args.threads}")
    if args.backends and (args.train or args.with_data or args.window_batches):
        raise ValueError("--backends times inference of one image: drop --train, --with-data and --window-batches")
    if args.compare_mmseg:
        return run_compare_mmseg(args, cfg)
    if args.backends:
        return run_backends(args, build_model(_for_backends(args, cfg)))
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
