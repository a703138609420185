from .lr_scheduler import LinearWarmup, PolyParamScheduler, build_lr_multiplier, build_lr_scheduler
from .optimizer import build_optimizer, get_param_groups, lr_decay_scale

__all__ = [
    "LinearWarmup",
    "PolyParamScheduler",
    "build_lr_multiplier",
    "build_lr_scheduler",
    "build_optimizer",
    "get_param_groups",
    "lr_decay_scale",
]
