"""The training loop: hooks around steps, and the step itself (plain or mixed precision)."""
from __future__ import annotations

import logging
import math
import time
import weakref
from typing import Dict, List, Optional

import torch
from torch import nn

from ..data.samplers import TrainingSampler
from ..utils import comm
from ..utils.env import get_rng_state, set_rng_state
from ..utils.events import EventStorage, get_event_storage

logger = logging.getLogger(__name__)


class HookBase:
    """Called around training; ``self.trainer`` is set on registration. Hooks with state that must
    survive a resume implement ``state_dict``/``load_state_dict``."""

    trainer: "TrainerBase"

    def before_train(self) -> None:
        pass

    def after_train(self) -> None:
        pass

    def before_step(self) -> None:
        pass

    def after_step(self) -> None:
        pass

    def state_dict(self) -> dict:
        return {}


class TrainerBase:
    """Runs ``run_step`` from ``start_iter`` to ``max_iter`` inside an EventStorage, calling hooks."""

    def __init__(self) -> None:
        self._hooks: List[HookBase] = []
        self.iter = 0
        self.start_iter = 0
        self.max_iter = 0
        self.storage: EventStorage
        # False while saving after a failure: the other processes may not join a collective then.
        self.gather_rng_states = True

    def register_hooks(self, hooks: List[Optional[HookBase]]) -> None:
        for h in hooks:
            if h is None:
                continue
            h.trainer = weakref.proxy(self)
            self._hooks.append(h)

    def train(self, start_iter: int, max_iter: int) -> None:
        logger.info(f"Starting training from iteration {start_iter}")
        self.iter = self.start_iter = start_iter
        self.max_iter = max_iter
        with EventStorage(start_iter) as self.storage:
            try:
                self.before_train()
                for self.iter in range(start_iter, max_iter):
                    self.before_step()
                    self.run_step()
                    self.after_step()
                self.iter += 1
            finally:
                self.after_train()

    def before_train(self) -> None:
        for h in self._hooks:
            h.before_train()

    def after_train(self) -> None:
        self.storage.iter = self.iter
        for h in self._hooks:
            h.after_train()

    def before_step(self) -> None:
        self.storage.iter = self.iter
        for h in self._hooks:
            h.before_step()

    def after_step(self) -> None:
        for h in self._hooks:
            h.after_step()

    def run_step(self) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        hooks = {type(h).__qualname__: h.state_dict() for h in self._hooks if h.state_dict()}
        # Each process's random state, gathered: a collective, so every process calls state_dict().
        rng = comm.all_gather(get_rng_state()) if self.gather_rng_states else [get_rng_state()]
        return {"iteration": self.iter, "hooks": hooks, "rng": rng}

    def load_state_dict(self, state: dict) -> None:
        self.iter = state["iteration"]
        if "rng" in state:
            states = state["rng"]
            set_rng_state(states[comm.get_rank() % len(states)] if isinstance(states, list) else states)
        for h in self._hooks:
            name = type(h).__qualname__
            if name in state.get("hooks", {}) and hasattr(h, "load_state_dict"):
                h.load_state_dict(state["hooks"][name])


class SimpleTrainer(TrainerBase):
    """One step: next batch, forward, check every loss is finite, backward, optimizer step."""

    def __init__(self, model: nn.Module, data_loader, optimizer: torch.optim.Optimizer) -> None:
        super().__init__()
        model.train()
        self.model = model
        self.data_loader = data_loader
        self.optimizer = optimizer
        self._data_loader_iter_obj = None
        # Samples drawn from the training stream by all processes: the sampler's position.
        self.data_position = 0

    @property
    def _data_loader_iter(self):
        """Created at the first step, so that the sampler resumes at ``data_position``."""
        if self._data_loader_iter_obj is None:
            sampler = getattr(self.data_loader, "sampler", None)
            if isinstance(sampler, TrainingSampler):
                sampler.start = self.data_position
            self._data_loader_iter_obj = iter(self.data_loader)
        return self._data_loader_iter_obj

    def run_step(self) -> None:
        start = time.perf_counter()
        data = next(self._data_loader_iter)
        self.data_position += len(data) * comm.get_world_size()
        data_time = time.perf_counter() - start
        loss_dict = self.compute_losses(data)
        losses = sum(loss_dict.values())
        self.optimizer.zero_grad(set_to_none=True)
        self.backward(losses)
        self.write_metrics(loss_dict, data_time)
        self.optimizer_step()

    def compute_losses(self, data) -> Dict[str, torch.Tensor]:
        loss_dict = self.model(data)
        if isinstance(loss_dict, torch.Tensor):
            loss_dict = {"total_loss": loss_dict}
        return loss_dict

    def backward(self, losses: torch.Tensor) -> None:
        losses.backward()

    def optimizer_step(self) -> None:
        self.optimizer.step()

    def write_metrics(self, loss_dict: Dict[str, torch.Tensor], data_time: float) -> None:
        """Average the losses over processes (one collective), stop on a non-finite one, log them."""
        names = sorted(loss_dict)
        values = torch.stack([loss_dict[k].detach().float() for k in names])
        values = comm.all_reduce_sum(values) / comm.get_world_size()
        values = values.tolist()
        bad = [f"{k}={v}" for k, v in zip(names, values) if not math.isfinite(v)]
        if bad:
            raise FloatingPointError(f"loss became non-finite at iteration {self.iter}: {', '.join(bad)}")
        storage = get_event_storage()
        storage.put_scalar("data_time", data_time)
        storage.put_scalar("total_loss", sum(values))
        if len(names) > 1:
            storage.put_scalars(**dict(zip(names, values)))

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["optimizer"] = self.optimizer.state_dict()
        state["data_position"] = self.data_position
        return state

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.optimizer.load_state_dict(state["optimizer"])
        self.data_position = state["data_position"]


class AMPTrainer(SimpleTrainer):
    """Mixed precision with torch.amp: float16 with a grad scaler, or bfloat16 without; CUDA or CPU. The float16
    loss scale is dynamic (``loss_scale`` 0) or fixed at ``loss_scale`` (reset after every step, as
    mmsegmentation's AmpOptimWrapper does; a step whose gradients overflow is still skipped)."""

    def __init__(self, model: nn.Module, data_loader, optimizer: torch.optim.Optimizer, dtype: str = "float16",
                 loss_scale: float = 0.0) -> None:
        super().__init__(model, data_loader, optimizer)
        if dtype not in ("float16", "bfloat16"):
            raise ValueError(f"SOLVER.AMP.DTYPE must be float16 or bfloat16, got {dtype!r}")
        if not loss_scale >= 0:
            raise ValueError(f"SOLVER.AMP.LOSS_SCALE must be 0 (dynamic) or a positive number, got {loss_scale!r}")
        self.dtype = getattr(torch, dtype)
        self.device_type = next(model.parameters()).device.type
        self.fixed_scale = float(loss_scale) or None
        self.grad_scaler = torch.amp.GradScaler(self.device_type, init_scale=self.fixed_scale or 2.0**16,
                                                enabled=self.dtype == torch.float16)

    def compute_losses(self, data) -> Dict[str, torch.Tensor]:
        with torch.autocast(device_type=self.device_type, dtype=self.dtype):
            return super().compute_losses(data)

    def backward(self, losses: torch.Tensor) -> None:
        self.grad_scaler.scale(losses).backward()

    def optimizer_step(self) -> None:
        self.grad_scaler.step(self.optimizer)
        self.grad_scaler.update(self.fixed_scale)

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["grad_scaler"] = self.grad_scaler.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        if "grad_scaler" in state:
            self.grad_scaler.load_state_dict(state["grad_scaler"])
