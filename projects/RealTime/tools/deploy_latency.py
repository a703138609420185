#!/usr/bin/env python
"""Latency of one whole-image pass in PyTorch eager, TorchScript and onnxruntime, interleaved:

    python projects/RealTime/tools/deploy_latency.py --config-file RECIPE.yaml [--weights FILE] \\
        [--input-size 512 1024] [--rounds 10] [--warmup 2] [--threads N] [--out DIR] [KEY VALUE ...]

The model (CPU, eval) is exported with seg_engine.deploy.export_model at the input size, which checks each
file against PyTorch before keeping it; then the three run the same 1 x 3 x H x W image (raw RGB in, logits at
the input size out: normalization and resize included), one call each per round, the order reversed every
other round (seg_engine.analysis.benchmark.interleaved_timings), so that a shared machine's load hits all
alike; ``--threads`` sets the intra-op threads of PyTorch and onnxruntime alike (default: PyTorch's, and
onnxruntime's own default). Prints JSON: per backend p50/p90/min milliseconds and images/s, the export checks,
the environment.
tools/benchmark.py times eager PyTorch only; this adds the exported files.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile

import numpy as np
import torch

from seg_engine.analysis.benchmark import environment, interleaved_timings
from seg_engine.checkpoint import Checkpointer
from seg_engine.deploy import export_model
from seg_engine.deploy.export import ImageToLogits
from seg_engine.modeling import build_model
from seg_engine.utils.cli import config_of, run_tool, tool_parser


def parser():
    p = tool_parser("deploy_latency.py", __doc__.splitlines()[0])
    p.add_argument("--weights", default="", help="a checkpoint (MODEL.WEIGHTS); default: the recipe's, or random")
    p.add_argument("--input-size", type=int, nargs=2, default=(512, 1024), metavar=("H", "W"))
    p.add_argument("--rounds", type=int, default=10, help="timed rounds (one call of each backend per round)")
    p.add_argument("--warmup", type=int, default=2, help="untimed rounds first")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads of every backend (0: their defaults)")
    p.add_argument("--out", default="", help="folder for model.onnx and model.pt (default: a temporary one)")
    return p


def backends(model: torch.nn.Module, size, folder: str, threads: int = 0):
    """name -> callable on a 1 x 3 x H x W float image, and the export checks."""
    import onnxruntime

    onnx_path, ts_path = os.path.join(folder, "model.onnx"), os.path.join(folder, "model.pt")
    checks = {"onnx": export_model(model, onnx_path, "onnx", size), "torchscript": export_model(model, ts_path, "torchscript", size)}
    eager = ImageToLogits(model).eval()
    scripted = torch.jit.load(ts_path, map_location="cpu").eval()
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = onnxruntime.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return {"pytorch_eager": eager, "torchscript": scripted,
            "onnxruntime": lambda x: session.run(None, {name: x.numpy()})[0]}, checks


def main(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = config_of(args, weights=args.weights)
    cfg.MODEL.DEVICE = "cpu"
    model = build_model(cfg).eval()
    if cfg.MODEL.WEIGHTS:
        Checkpointer(model, weights_format=cfg.MODEL.WEIGHTS_FORMAT).load_for_inference(cfg.MODEL.WEIGHTS)
    size = tuple(args.input_size)
    image = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(0)) * 255
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.out or tmp
        os.makedirs(folder, exist_ok=True)
        runs, checks = backends(model, size, folder, args.threads)
        load_before = os.getloadavg()
        with torch.no_grad():
            timings = interleaved_timings({k: (lambda f=f: f(image)) for k, f in runs.items()}, 1, args.rounds, args.warmup)
    result = {}
    for k, t in timings.items():
        ms = np.asarray(t["seconds"]) * 1000
        result[k] = {"p50_ms": float(np.percentile(ms, 50)), "p90_ms": float(np.percentile(ms, 90)),
                     "min_ms": float(ms.min()), "images_per_s": t["images_per_s"], "rounds": t["rounds"]}
    import onnxruntime
    env = {**environment(), "onnxruntime": onnxruntime.__version__, "onnxruntime_threads": args.threads or "default",
           "load_average_1_5_15_min_before": list(load_before), "load_average_1_5_15_min_after": list(os.getloadavg())}
    print(json.dumps({"environment": env, "config_file": args.config_file, "input_size": list(size),
                      "latency": result, "export_checks": checks}, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(run_tool(main, parser()))
