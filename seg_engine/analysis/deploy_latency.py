"""Latency of one whole-image pass (raw RGB in, logits at the input size out: normalization and resize included)
in PyTorch eager, TorchScript, ``torch.export`` (.pt2) and onnxruntime, interleaved, for
``tools/benchmark.py --backends``.

The model is exported with :func:`seg_engine.deploy.export_model` at the input size, which checks each file against
PyTorch before keeping it; every backend then runs the same 1 x 3 x H x W image, one call each per round, the order
reversed every other round (:func:`.benchmark.interleaved_timings`), so that a shared machine's load hits all alike.
Other callables of the same image (mmsegmentation's model, for the ratio) join the same rounds.
"""
from __future__ import annotations

import importlib.util
import os
import tempfile
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .benchmark import interleaved_timings, speed_ratios

BACKENDS = ("eager", "torchscript", "pt2", "onnxruntime")
FILES = {"torchscript": ("torchscript", "model.pt"), "pt2": ("pt2", "model.pt2"),
         "onnxruntime": ("onnx", "model.onnx")}  # format, file name
Runner = Callable[[torch.Tensor], Any]


def backend_runners(model: nn.Module, size: Tuple[int, int], folder: str, backends: Sequence[str],
                    threads: int = 0) -> Tuple[Dict[str, Runner], Dict[str, Any]]:
    """name -> callable on a 1 x 3 x H x W image of 0..255 floats, and the export checks of the files written to
    ``folder``. ``threads`` sets onnxruntime's intra-op threads (0: its default)."""
    from ..deploy import export_model, load_exported
    from ..deploy.export import ImageToLogits

    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        raise ValueError(f"--backends {' '.join(unknown)}: not a backend (known: {', '.join(BACKENDS)})")
    if "onnxruntime" in backends and importlib.util.find_spec("onnxruntime") is None:
        raise ImportError("--backends onnxruntime needs onnxruntime: pip install -e \".[export]\"")
    runners: Dict[str, Runner] = {}
    checks: Dict[str, Any] = {}
    for backend in backends:
        if backend == "eager":
            runners[backend] = ImageToLogits(model).eval()
            continue
        fmt, name = FILES[backend]
        path = os.path.join(folder, name)
        checks[fmt] = export_model(model, path, fmt, size)
        runners[backend] = load_exported(path, fmt, threads)
    return runners, checks


def latency_table(timings: Mapping[str, Mapping[str, Any]]) -> Dict[str, Dict[str, float]]:
    """Per name: p50, p90 and min milliseconds of its rounds, images/s of the median, the rounds."""
    table = {}
    for name, t in timings.items():
        ms = np.asarray(t["seconds"]) * 1000
        table[name] = {"p50_ms": float(np.percentile(ms, 50)), "p90_ms": float(np.percentile(ms, 90)),
                       "min_ms": float(ms.min()), "images_per_s": t["images_per_s"], "rounds": t["rounds"]}
    return table


def benchmark_backends(model: nn.Module, size: Tuple[int, int], backends: Sequence[str], rounds: int = 10,
                       warmup: int = 2, threads: int = 0, folder: str = "",
                       others: Optional[Mapping[str, Runner]] = None) -> Dict[str, Any]:
    """The latency of ``model`` (eval, on the CPU) in each of ``backends`` at ``size``, batch 1, interleaved with
    ``others`` (name -> callable of the same image), and with ``others`` each backend's speed ratios to them (above
    1: the backend is faster). The exported files go to ``folder`` (default: a temporary one)."""
    model = model.eval().cpu()
    image = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(0)) * 255
    with tempfile.TemporaryDirectory() as tmp:
        folder = folder or tmp
        os.makedirs(folder, exist_ok=True)
        runners, checks = backend_runners(model, size, folder, backends, threads)
        runners.update(others or {})
        with torch.no_grad():
            timings = interleaved_timings({k: (lambda f=f: f(image)) for k, f in runners.items()}, 1, rounds, warmup)
    result: Dict[str, Any] = {"input_size": list(size), "batch": 1, "latency": latency_table(timings),
                              "seconds": {k: t["seconds"] for k, t in timings.items()}, "export_checks": checks}
    if others:
        result["ratios"] = {f"{ours}/{theirs}": speed_ratios(timings, ours, theirs)
                            for theirs in others for ours in backends}
    return result
