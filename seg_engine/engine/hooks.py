"""Hooks with one job each: timing, LR schedule, checkpoints, evaluation, best model, writers."""
from __future__ import annotations

import glob
import logging
import math
import os
import signal
import time
from typing import Callable, Dict, List, Optional, Union

import torch

from ..checkpoint import Checkpointer, NonFiniteCheckpointError
from ..utils import comm
from ..utils.events import EventWriter
from .train_loop import HookBase

logger = logging.getLogger(__name__)


class IterationTimer(HookBase):
    """Puts ``time``: seconds per step, hooks included."""

    def before_step(self) -> None:
        self._start = time.perf_counter()

    def after_step(self) -> None:
        self.trainer.storage.put_scalar("time", time.perf_counter() - self._start)

    def before_train(self) -> None:
        self._train_start = time.perf_counter()

    def after_train(self) -> None:
        done = self.trainer.iter - self.trainer.start_iter
        if done > 0:
            total = time.perf_counter() - self._train_start
            logger.info(f"Trained {done} iterations in {total:.1f} s ({total / done:.4f} s / it)")


class LRScheduler(HookBase):
    """Puts ``lr`` (of the largest param group) and steps the per-iteration scheduler."""

    def __init__(self, optimizer: torch.optim.Optimizer, scheduler) -> None:
        self.optimizer = optimizer
        self.scheduler = scheduler
        self._group = max(range(len(optimizer.param_groups)), key=lambda i: len(optimizer.param_groups[i]["params"]))

    def after_step(self) -> None:
        self.trainer.storage.put_scalar("lr", self.optimizer.param_groups[self._group]["lr"], smoothing_hint=False)
        self.scheduler.step()

    def state_dict(self) -> dict:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.scheduler.load_state_dict(state)


class FinalCheckpointer(HookBase):
    """Saves ``model_final.pth`` after the last step. Register it before the EvalHook: an error in the
    final evaluation then cannot lose the trained model."""

    def __init__(self, checkpointer: Checkpointer) -> None:
        self.checkpointer = checkpointer

    def after_step(self) -> None:
        if self.trainer.iter + 1 == self.trainer.max_iter:
            self.checkpointer.save("model_final", iteration=self.trainer.iter)


class PeriodicCheckpointer(HookBase):
    """Saves ``model_{iter:07d}.pth`` every ``period`` iterations and, with ``save_final``,
    ``model_final.pth`` at the end, keeping the newest ``max_to_keep`` periodic files (0: all). The file
    ``last_checkpoint`` names is never deleted. A periodic state with NaN or infinity is not written
    (one warning names the tensor); any other save of one raises NonFiniteCheckpointError."""

    def __init__(self, checkpointer: Checkpointer, period: int, max_to_keep: int = 0, save_final: bool = True) -> None:
        self.checkpointer = checkpointer
        self.period = period
        self.max_to_keep = max_to_keep
        self.save_final = save_final

    def after_step(self) -> None:
        next_iter = self.trainer.iter + 1
        if next_iter == self.trainer.max_iter:
            if self.save_final:
                self.checkpointer.save("model_final", iteration=self.trainer.iter)
        elif self.period > 0 and next_iter % self.period == 0:
            try:
                self.checkpointer.save(f"model_{self.trainer.iter:07d}", iteration=self.trainer.iter)
            except NonFiniteCheckpointError as e:
                # Training goes on: the blow-up usually shows as a non-finite loss within a few steps,
                # which stops the run; until then every periodic save says so and writes nothing.
                logger.warning(f"Iteration {self.trainer.iter}: {e}")
                return
            self._prune()

    def _prune(self) -> None:
        if self.max_to_keep <= 0 or not self.checkpointer.save_to_disk:
            return
        periodic = sorted(glob.glob(os.path.join(self.checkpointer.save_dir, "model_[0-9]*.pth")))
        last = os.path.abspath(self.checkpointer.get_checkpoint_file())
        for path in periodic[: -self.max_to_keep]:
            if os.path.abspath(path) != last:
                os.remove(path)


class EvalHook(HookBase):
    """Runs ``eval_function() -> {metric: value or nested dict}`` every ``period`` iterations and at the
    last one, and puts the flattened results (``sem_seg/mIoU``...) into the storage."""

    def __init__(self, period: int, eval_function: Callable[[], dict]) -> None:
        self.period = period
        self.eval_function = eval_function
        self.last_results: Optional[dict] = None

    def after_step(self) -> None:
        next_iter = self.trainer.iter + 1
        if next_iter == self.trainer.max_iter or (self.period > 0 and next_iter % self.period == 0):
            self._do_eval()

    def _do_eval(self) -> None:
        results = self.last_results = self.eval_function()
        flat = _flatten_results(results)
        for k, v in flat.items():
            if not isinstance(v, (int, float)):
                raise TypeError(f"eval_function returned a non-number for {k}: {v!r}")
        self.trainer.storage.put_scalars(**flat, smoothing_hint=False)
        comm.synchronize()


def _flatten_results(results: dict, prefix: str = "") -> Dict[str, float]:
    flat: Dict[str, float] = {}
    for k, v in results.items():
        if isinstance(v, dict):
            flat.update(_flatten_results(v, f"{prefix}{k}/"))
        else:
            flat[f"{prefix}{k}"] = v
    return flat


class BestCheckpointer(HookBase):
    """Saves ``model_best.pth`` when ``metric`` (put by EvalHook at this iteration) beats the best so far.
    Register it after the EvalHook."""

    def __init__(self, checkpointer: Checkpointer, metric: str = "sem_seg/mIoU", mode: str = "max") -> None:
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be max or min, got {mode!r}")
        self.checkpointer = checkpointer
        self.metric = metric
        self.mode = mode
        self.best_value: Optional[float] = None
        self.best_iter: Optional[int] = None

    def after_step(self) -> None:
        latest = self.trainer.storage.latest().get(self.metric)
        if latest is None or latest[1] != self.trainer.iter:
            return
        value = latest[0]
        if math.isnan(value):
            return
        better = self.best_value is None or (value > self.best_value if self.mode == "max" else value < self.best_value)
        if better:
            previous = self.best_value
            self.best_value, self.best_iter = value, self.trainer.iter
            self.checkpointer.save("model_best", tag_last=False, iteration=self.trainer.iter, best_metric={self.metric: value})
            logger.info(f"New best {self.metric} {value:.2f} at iteration {self.trainer.iter} (was {previous})")

    def state_dict(self) -> dict:
        return {"best_value": self.best_value, "best_iter": self.best_iter}

    def load_state_dict(self, state: dict) -> None:
        self.best_value, self.best_iter = state["best_value"], state["best_iter"]


class PeriodicWriter(HookBase):
    """Calls every writer every ``period`` iterations, at the last one, and closes them at the end.

    ``writers`` may be a function that makes them: they are then opened when training starts, so that a run
    failing before it (e.g. on a bad MODEL.WEIGHTS download) leaves no file open."""

    def __init__(self, writers: Union[List[EventWriter], Callable[[], List[EventWriter]]], period: int = 20) -> None:
        self._make = writers if callable(writers) else None
        self.writers: List[EventWriter] = [] if callable(writers) else writers
        self.period = period

    def before_train(self) -> None:
        if self._make is not None:
            self.writers = self._make()

    def after_step(self) -> None:
        next_iter = self.trainer.iter + 1
        if next_iter % self.period == 0 or next_iter == self.trainer.max_iter:
            for w in self.writers:
                w.write()

    def after_train(self) -> None:
        for w in self.writers:
            w.write()
            w.close()


class TrainingPreempted(RuntimeError):
    """Training stopped on SIGTERM/SIGINT after saving a checkpoint; ``--resume`` continues it."""

    def __init__(self, signal_name: str, iteration: int, checkpoint: str) -> None:
        super().__init__(
            f"{signal_name} received: stopped after iteration {iteration}, checkpoint {checkpoint}; "
            "start again with --resume to continue"
        )
        self.signal_name = signal_name


class PreemptionCheckpointer(HookBase):
    """On SIGTERM or SIGINT: finish the current step, save a checkpoint, stop with TrainingPreempted.

    Every process checks the flag after each step (one tiny all-reduce when distributed), so all stop
    at the same iteration. The previous signal handlers come back after training.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, checkpointer: Checkpointer) -> None:
        self.checkpointer = checkpointer
        self._received: Optional[int] = None
        self._previous: dict = {}

    def _handler(self, signum, frame) -> None:
        self._received = signum
        logger.warning(f"{signal.Signals(signum).name} received; stopping after this iteration")

    def before_train(self) -> None:
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handler)

    def after_train(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def after_step(self) -> None:
        flag = torch.tensor([0 if self._received is None else int(self._received)])
        if comm.get_world_size() > 1:
            flag = comm.all_reduce_max(flag.to(_collective_device()))
        signum = int(flag.item())
        if not signum or self.trainer.iter + 1 >= self.trainer.max_iter:
            return
        name = f"model_{self.trainer.iter:07d}"
        self.checkpointer.save(name, iteration=self.trainer.iter)
        comm.synchronize()
        raise TrainingPreempted(signal.Signals(signum).name, self.trainer.iter, os.path.join(self.checkpointer.save_dir, f"{name}.pth"))


def _collective_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
