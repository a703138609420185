"""EventStorage (the metrics of the current iteration) and the writers that report it."""
from __future__ import annotations

import datetime
import json
import logging
import os
import resource
import time
from collections import defaultdict
from typing import Dict, Optional

import torch
from fvcore.common.history_buffer import HistoryBuffer
from iopath.common.file_io import g_pathmgr

_CURRENT_STORAGE_STACK: list = []


def get_event_storage() -> "EventStorage":
    if not _CURRENT_STORAGE_STACK:
        raise RuntimeError("get_event_storage() must be called inside a 'with EventStorage(...)' context")
    return _CURRENT_STORAGE_STACK[-1]


class EventStorage:
    """Scalars logged by the trainer and hooks, with their history and the iteration they belong to."""

    def __init__(self, start_iter: int = 0) -> None:
        self._history: Dict[str, HistoryBuffer] = defaultdict(HistoryBuffer)
        self._smoothing_hints: Dict[str, bool] = {}
        self._latest: Dict[str, tuple] = {}
        self.iter = start_iter

    def put_scalar(self, name: str, value: float, smoothing_hint: bool = True) -> None:
        value = float(value)
        self._history[name].update(value, self.iter)
        self._latest[name] = (value, self.iter)
        self._smoothing_hints.setdefault(name, smoothing_hint)

    def put_scalars(self, *, smoothing_hint: bool = True, **kwargs: float) -> None:
        for k, v in kwargs.items():
            self.put_scalar(k, v, smoothing_hint=smoothing_hint)

    def history(self, name: str) -> HistoryBuffer:
        if name not in self._history:
            raise KeyError(f"no history for metric {name!r}")
        return self._history[name]

    def histories(self) -> Dict[str, HistoryBuffer]:
        return self._history

    def latest(self) -> Dict[str, tuple]:
        """name -> (value, iteration) of the last value put."""
        return self._latest

    def latest_with_smoothing_hint(self, window: int = 20) -> Dict[str, tuple]:
        """Like latest(), but the median over ``window`` for metrics logged with smoothing_hint."""
        return {
            k: (self._history[k].median(window) if self._smoothing_hints[k] else v, it)
            for k, (v, it) in self._latest.items()
        }

    def step(self) -> None:
        self.iter += 1

    def __enter__(self) -> "EventStorage":
        _CURRENT_STORAGE_STACK.append(self)
        return self

    def __exit__(self, *exc) -> None:
        assert _CURRENT_STORAGE_STACK[-1] is self
        _CURRENT_STORAGE_STACK.pop()


class EventWriter:
    def write(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


def values_since(storage: EventStorage, last_written: int) -> Dict[int, Dict[str, float]]:
    """iteration -> {name: raw value} of the values put after iteration ``last_written``."""
    by_iter: Dict[int, Dict[str, float]] = defaultdict(dict)
    for k, (v, it) in storage.latest().items():
        if it > last_written:
            by_iter[it][k] = v
    return by_iter


class JSONWriter(EventWriter):
    """Appends one JSON line per written iteration to ``metrics.json``: the raw values of that
    iteration, unsmoothed, so runs (and resumed runs) compare exactly."""

    def __init__(self, json_file: str) -> None:
        self._file = g_pathmgr.open(json_file, "a")
        self._last_write = -1

    def write(self) -> None:
        by_iter = values_since(get_event_storage(), self._last_write)
        for it in sorted(by_iter):
            self._file.write(json.dumps({"iteration": it, **by_iter[it]}, sort_keys=True) + "\n")
        if by_iter:
            self._last_write = max(by_iter)
        self._file.flush()
        try:
            os.fsync(self._file.fileno())
        except (AttributeError, OSError):
            pass

    def close(self) -> None:
        self._file.close()


class TensorboardWriter(EventWriter):
    """Scalars to TensorBoard event files (needs the optional ``tensorboard`` package)."""

    def __init__(self, log_dir: str, window_size: int = 20) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self._writer = SummaryWriter(log_dir)
        self._window_size = window_size
        self._last_write = -1

    def write(self) -> None:
        storage = get_event_storage()
        new_last = self._last_write
        for k, (v, it) in storage.latest_with_smoothing_hint(self._window_size).items():
            if it > self._last_write:
                self._writer.add_scalar(k, v, it)
                new_last = max(new_last, it)
        self._last_write = new_last

    def close(self) -> None:
        self._writer.close()


class WandbWriter(EventWriter):
    """The raw values of metrics.json, one ``log`` per iteration (its step), to a Weights & Biases run
    (the optional ``[wandb]`` extra). ``WANDB_MODE=offline`` keeps the run in ``<log_dir>/wandb`` for a
    later ``wandb sync``; the resolved config is the run's config."""

    def __init__(self, log_dir: str, project: str, run_name: str, config: Optional[dict] = None) -> None:
        import wandb

        self._run = wandb.init(project=project, name=run_name, dir=log_dir, config=config or {})
        self._last_write = -1

    def write(self) -> None:
        by_iter = values_since(get_event_storage(), self._last_write)
        for it in sorted(by_iter):
            self._run.log(by_iter[it], step=it)
        self._last_write = max(by_iter, default=self._last_write)

    def close(self) -> None:
        self._run.finish()


class MLflowWriter(EventWriter):
    """The raw values of metrics.json, with their iteration as step, to an MLflow run (the optional
    ``[mlflow]`` extra), through a client of its own (no global active run). The config's keys are
    the run's parameters and ``config_file`` (config.yaml) its artifact."""

    def __init__(self, tracking_uri: str, experiment: str, run_name: str, params: Optional[Dict[str, str]] = None,
                 config_file: str = "") -> None:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        self._client = MlflowClient(tracking_uri)
        found = self._client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else self._client.create_experiment(experiment)
        self.run_id = self._client.create_run(experiment_id, run_name=run_name).info.run_id
        items = [Param(k, str(v)) for k, v in sorted((params or {}).items())]
        for i in range(0, len(items), 100):  # MLflow takes at most 100 parameters per batch
            self._client.log_batch(self.run_id, params=items[i : i + 100])
        if config_file:
            self._client.log_artifact(self.run_id, config_file)
        self._last_write = -1

    def write(self) -> None:
        from mlflow.entities import Metric

        by_iter = values_since(get_event_storage(), self._last_write)
        now = int(time.time() * 1000)
        metrics = [Metric(k, v, now, it) for it in sorted(by_iter) for k, v in by_iter[it].items()]
        for i in range(0, len(metrics), 1000):  # MLflow takes at most 1000 metrics per batch
            self._client.log_batch(self.run_id, metrics=metrics[i : i + 1000])
        self._last_write = max(by_iter, default=self._last_write)

    def close(self) -> None:
        self._client.set_terminated(self.run_id)


class CommonMetricPrinter(EventWriter):
    """The console line: iteration, ETA, losses, LR, step and data time, peak memory (CUDA allocated,
    or the process's peak resident size on CPU)."""

    def __init__(self, max_iter: int, window_size: int = 20) -> None:
        self.logger = logging.getLogger("seg_engine.utils.events")
        self._max_iter = max_iter
        self._window_size = window_size
        self._last: Optional[tuple] = None

    def _eta(self, storage: EventStorage) -> str:
        iteration = storage.iter
        try:
            eta_s = storage.history("time").median(1000) * (self._max_iter - iteration - 1)
            storage.put_scalar("eta_seconds", eta_s, smoothing_hint=False)
            return str(datetime.timedelta(seconds=int(eta_s)))
        except KeyError:
            if self._last is not None:
                last_iter, last_t = self._last
                eta_s = (time.perf_counter() - last_t) / max(iteration - last_iter, 1) * (self._max_iter - iteration - 1)
                self._last = (iteration, time.perf_counter())
                return str(datetime.timedelta(seconds=int(eta_s)))
            self._last = (iteration, time.perf_counter())
            return "N/A"

    def write(self) -> None:
        storage = get_event_storage()
        iteration = storage.iter
        if iteration == self._max_iter:
            return
        hist = storage.histories()

        def median(name: str) -> Optional[float]:
            return hist[name].median(self._window_size) if name in hist else None

        losses = "  ".join(
            f"{k}: {v.median(self._window_size):.4g}" for k, v in hist.items() if "loss" in k
        )
        parts = [f"eta: {self._eta(storage)}", f"iter: {iteration}", losses]
        for name, label in (("time", "time"), ("data_time", "data_time")):
            value = median(name)
            if value is not None:
                parts.append(f"{label}: {value:.4f}")
        if "lr" in hist:
            parts.append(f"lr: {hist['lr'].latest():.5g}")
        if torch.cuda.is_available():
            parts.append(f"max_mem: {torch.cuda.max_memory_allocated() / 1024 / 1024:.0f}M")
        else:
            parts.append(f"max_rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}M")
        self.logger.info("  ".join(p for p in parts if p))
