"""Inference and training speed of a config's model on synthetic inputs, warm-up excluded."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import platform
import resource
import time
from typing import Callable, Dict, Hashable, List, Mapping, Tuple

import numpy as np
import torch

from ..solver import build_optimizer


def environment() -> Dict[str, str]:
    """The device and versions a benchmark ran with."""
    env = {"python": platform.python_version(), "torch": torch.__version__, "cpu": platform.processor() or platform.machine(),
           "threads": str(torch.get_num_threads())}
    model = _cpu_model_name()
    if model:
        env["cpu_model"] = model
    if torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name()
        env["cuda"] = str(torch.version.cuda)
    return env


def _cpu_model_name() -> str:
    """The CPU's name as /proc/cpuinfo gives it (Linux), else ""."""
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        return ""


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_memory_mb(device: torch.device) -> Tuple[str, float]:
    if device.type == "cuda":
        return "cuda_max_allocated_mb", torch.cuda.max_memory_allocated(device) / 2**20
    return "peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _summary(times: List[float], images_per_step: int, device: torch.device) -> Dict[str, float]:
    ms = np.asarray(times) * 1000
    name, memory = _peak_memory_mb(device)
    return {"images_per_s": images_per_step * len(times) / float(np.sum(times)), "p50_ms": float(np.percentile(ms, 50)),
            "p90_ms": float(np.percentile(ms, 90)), name: memory, "iterations": len(times)}


def synthetic_batch(size: Tuple[int, int], batch: int, num_classes: int, seed: int = 0) -> List[dict]:
    rng = np.random.default_rng(seed)
    return [{"image": torch.from_numpy(rng.integers(0, 256, (3, *size), dtype=np.uint8)),
             "sem_seg": torch.from_numpy(rng.integers(0, num_classes, size).astype(np.int64)),
             "height": size[0], "width": size[1]} for _ in range(batch)]


def benchmark_inference(model: torch.nn.Module, size: Tuple[int, int], batch: int = 1, iterations: int = 20,
                        warmup: int = 5) -> Dict[str, float]:
    """Images/s and latency percentiles of ``model``'s inference (its test protocol) on ``batch`` images of ``size``."""
    device = model.pixel_mean.device
    inputs = synthetic_batch(size, batch, model.num_classes)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    model.eval()
    times = []
    with torch.no_grad():
        for i in range(warmup + iterations):
            _sync(device)
            start = time.perf_counter()
            model(inputs)
            _sync(device)
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return _summary(times, batch, device)


def benchmark_training(cfg, model: torch.nn.Module, iterations: int = 10, warmup: int = 3,
                       data_loader=None, read_losses: bool = False) -> Dict[str, float]:
    """Images/s of training steps (forward, backward, optimizer) at the config's crop and per-process
    batch; with ``data_loader`` each step also waits for its batch, otherwise one synthetic batch is reused.
    With ``read_losses`` each step reads the loss values on the host before the optimizer step, as the
    train loop's non-finite check and logging do (the cost of that synchronisation)."""
    device = model.pixel_mean.device
    batch = cfg.SOLVER.IMS_PER_BATCH
    size = tuple(cfg.INPUT.TRAIN.CROP_SIZE)
    fixed = synthetic_batch(size, batch, cfg.MODEL.NUM_CLASSES)
    stream = iter(data_loader) if data_loader is not None else None
    optimizer = build_optimizer(cfg, model)
    amp = cfg.SOLVER.AMP
    autocast = (torch.autocast(device.type, dtype=getattr(torch, amp.DTYPE)) if amp.ENABLED
                else contextlib.nullcontext())
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    model.train()
    times = []
    for i in range(warmup + iterations):
        _sync(device)
        start = time.perf_counter()
        inputs = next(stream) if stream is not None else fixed
        with autocast:
            losses = model(inputs)
        sum(losses.values()).backward()
        if read_losses:
            values = torch.stack([v.detach().float() for v in losses.values()]).tolist()
            if not all(np.isfinite(values)):
                raise FloatingPointError(f"loss became non-finite in benchmark step {i}: {values}")
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return _summary(times, len(fixed), device)


def compare_window_batches(model: torch.nn.Module, size: Tuple[int, int], window_batches: List[int],
                           repeats: int = 5, warmup: int = 1) -> Dict[str, Dict[str, float]]:
    """Seconds per image of ``model``'s test protocol at each TEST.WINDOW_BATCH, the settings interleaved
    (``interleaved_timings``: one image per setting per round, ``repeats`` rounds) so that a shared
    machine's load hits them alike; medians and the max |difference| of the scores from the first setting's."""
    inputs = synthetic_batch(size, 1, model.num_classes)
    base = model.test_protocol
    scores: Dict[int, torch.Tensor] = {}

    def predict(window_batch: int) -> None:
        model.test_protocol = dataclasses.replace(base, window_batch=window_batch)
        scores[window_batch] = model(inputs)[0]["sem_seg"]

    model.eval()
    try:
        with torch.no_grad():
            timings = interleaved_timings({b: functools.partial(predict, b) for b in window_batches}, 1, repeats,
                                          warmup, model.pixel_mean.device)
    finally:
        model.test_protocol = base
    first = scores[window_batches[0]]
    return {f"window_batch={b}": {"median_s_per_image": timings[b]["median_s"],
                                  "min_s_per_image": timings[b]["min_s"],
                                  "max_abs_diff_from_first": float((scores[b] - first).abs().max()),
                                  "argmax_equal_to_first": bool(torch.equal(scores[b].argmax(0), first.argmax(0)))}
            for b in window_batches}


def interleaved_timings(steps: Mapping[Hashable, Callable[[], object]], images_per_step: int, rounds: int = 5,
                        warmup: int = 1, device: torch.device = torch.device("cpu")) -> Dict[Hashable, Dict[str, float]]:
    """Seconds per call of each of ``steps`` (name -> a call doing one step), measured in one process:
    every round runs each step once, in the given order on even rounds and reversed on odd ones, so that
    a shared machine's changing load and the cost of running second hit all alike. After ``warmup``
    untimed rounds, ``rounds`` timed ones; per step the seconds of each round, their median and min, and
    the images/s of the median."""
    names = list(steps)
    times: Dict[Hashable, List[float]] = {name: [] for name in names}
    for i in range(warmup + rounds):
        for name in (names if i % 2 == 0 else names[::-1]):
            _sync(device)
            start = time.perf_counter()
            steps[name]()
            _sync(device)
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return {name: {"median_s": float(np.median(t)), "min_s": float(np.min(t)),
                   "images_per_s": images_per_step / float(np.median(t)), "rounds": len(t),
                   "seconds": [float(v) for v in t]}
            for name, t in times.items()}


def speed_ratio(timings: Dict[str, Dict[str, float]], ours: str, theirs: str) -> float:
    """Images/s of ``ours`` over ``theirs`` (above 1: ours is faster), from the medians."""
    return timings[ours]["images_per_s"] / timings[theirs]["images_per_s"]


def speed_ratios(timings: Dict[str, Dict[str, float]], ours: str, theirs: str) -> Dict[str, float]:
    """The ratio of ``speed_ratio`` three ways, which agree on a quiet machine: of the medians, of the
    minimums (the least disturbed calls), and the median over rounds of each round's own ratio (the two
    calls of a round ran back to back, under the same load)."""
    per_round = [t / o for o, t in zip(timings[ours]["seconds"], timings[theirs]["seconds"])]
    return {"ratio_images_per_s": speed_ratio(timings, ours, theirs),
            "ratio_of_min": timings[theirs]["min_s"] / timings[ours]["min_s"],
            "ratio_per_round_median": float(np.median(per_round))}
