"""LR schedules as fvcore ParamSchedulers of a multiplier, applied by LambdaLR per iteration."""
from __future__ import annotations

from fvcore.common.param_scheduler import (
    CosineParamScheduler,
    MultiStepParamScheduler,
    ParamScheduler,
)
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


class PolyParamScheduler(ParamScheduler):
    """``(start - end) * (1 - where) ** power + end``: poly decay that stops at ``end``."""

    def __init__(self, start_value: float, end_value: float, power: float) -> None:
        self.start_value, self.end_value, self.power = start_value, end_value, power

    def __call__(self, where: float) -> float:
        return (self.start_value - self.end_value) * (1.0 - where) ** self.power + self.end_value


class LinearWarmup(ParamScheduler):
    """Scales ``scheduler`` by a factor rising linearly from ``factor`` to 1 over the first ``length``."""

    def __init__(self, scheduler: ParamScheduler, factor: float, length: float) -> None:
        self.scheduler, self.factor, self.length = scheduler, factor, length

    def __call__(self, where: float) -> float:
        value = self.scheduler(where)
        if where < self.length:
            value *= self.factor + (1.0 - self.factor) * where / self.length
        return value


def build_lr_multiplier(cfg) -> ParamScheduler:
    """The LR multiplier over training progress in [0, 1] that SOLVER.LR_SCHEDULER_NAME names."""
    s = cfg.SOLVER
    end = s.MIN_LR / s.BASE_LR if s.BASE_LR > 0 else 0.0
    if s.LR_SCHEDULER_NAME == "poly":
        sched: ParamScheduler = PolyParamScheduler(1.0, end, s.POLY_POWER)
    elif s.LR_SCHEDULER_NAME == "cosine":
        sched = CosineParamScheduler(1.0, end)
    elif s.LR_SCHEDULER_NAME == "step":
        steps = [x for x in s.STEPS if x <= s.MAX_ITER]
        sched = MultiStepParamScheduler(
            [s.GAMMA**k for k in range(len(steps) + 1)], milestones=steps, num_updates=s.MAX_ITER
        )
    else:
        raise ValueError(f"SOLVER.LR_SCHEDULER_NAME must be poly, cosine or step, got {s.LR_SCHEDULER_NAME!r}")
    if s.WARMUP_ITERS > 0:
        sched = LinearWarmup(sched, s.WARMUP_FACTOR, s.WARMUP_ITERS / s.MAX_ITER)
    return sched


def build_lr_scheduler(cfg, optimizer: Optimizer) -> LambdaLR:
    """Every param group's LR is its initial LR times the multiplier at ``iteration / MAX_ITER``."""
    multiplier = build_lr_multiplier(cfg)
    max_iter = cfg.SOLVER.MAX_ITER
    return LambdaLR(optimizer, lambda it: multiplier(min(it, max_iter - 1) / max_iter))
