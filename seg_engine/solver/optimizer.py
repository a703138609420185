"""build_optimizer: SGD or AdamW with per-group LR and weight decay."""
from __future__ import annotations

from typing import Dict, List

import torch
from torch import nn

_NORM_TYPES = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm)


LR_DECAY_TYPES = ("", "layer_wise", "stage_wise")


def lr_decay_scale(model: nn.Module, name: str, cfg) -> float:
    """The LR factor of parameter ``name`` under SOLVER.LR_DECAY: RATE ** (NUM_LAYERS + 1 - depth), where the
    backbone numbers its parameters' depths (``lr_decay_layer_id``) and the rest of the model is at
    NUM_LAYERS + 1 (factor 1), as mmsegmentation's LearningRateDecayOptimizerConstructor."""
    d = cfg.SOLVER.LR_DECAY
    if d.TYPE not in LR_DECAY_TYPES:
        raise ValueError(f"SOLVER.LR_DECAY.TYPE must be one of {LR_DECAY_TYPES}, got {d.TYPE!r}")
    if not d.TYPE:
        return 1.0
    depth = d.NUM_LAYERS + 1
    if name.startswith("backbone."):
        numbering = getattr(getattr(model, "backbone", None), "lr_decay_layer_id", None)
        if numbering is None:
            raise ValueError(
                f"SOLVER.LR_DECAY.TYPE {d.TYPE!r} needs a backbone that numbers its layers (ConvNeXt); "
                f"MODEL.BACKBONE.NAME {cfg.MODEL.BACKBONE.NAME!r} does not"
            )
        depth = numbering(name[len("backbone."):], d.TYPE, d.NUM_LAYERS)
    return d.RATE ** (d.NUM_LAYERS + 1 - depth)


def get_param_groups(model: nn.Module, cfg) -> List[Dict]:
    """One group per (LR, weight decay) pair.

    Parameters under ``model.backbone`` learn at BASE_LR, all others at BASE_LR * HEAD_LR_MULTIPLIER;
    biases outside norms learn at BIAS_LR_FACTOR times that; SOLVER.LR_DECAY scales the LR by depth.
    Parameters whose names contain one of SOLVER.NO_DECAY_KEYS do not decay; otherwise norm weights and
    biases decay by WEIGHT_DECAY_NORM, other biases by WEIGHT_DECAY_BIAS. Frozen parameters are left out.
    """
    s = cfg.SOLVER
    wd_bias = s.WEIGHT_DECAY if s.WEIGHT_DECAY_BIAS is None else s.WEIGHT_DECAY_BIAS
    no_decay = list(s.NO_DECAY_KEYS)
    groups: Dict[tuple, List[nn.Parameter]] = {}
    seen = set()
    for module_name, module in model.named_modules():
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            full = f"{module_name}.{name}" if module_name else name
            lr = s.BASE_LR if full.startswith("backbone.") else s.BASE_LR * s.HEAD_LR_MULTIPLIER
            lr *= lr_decay_scale(model, full, cfg)
            is_norm = isinstance(module, _NORM_TYPES)
            if any(key in full for key in no_decay):
                wd = 0.0
            elif is_norm:
                wd = s.WEIGHT_DECAY_NORM
            elif name == "bias":
                wd = wd_bias
            else:
                wd = s.WEIGHT_DECAY
            if name == "bias" and not is_norm:
                lr *= s.BIAS_LR_FACTOR
            groups.setdefault((lr, wd), []).append(param)
    return [{"params": p, "lr": lr, "weight_decay": wd} for (lr, wd), p in groups.items()]


# SOLVER.OPTIMIZER_IMPL -> the keyword arguments that select the kernels of SGD and AdamW.
OPTIMIZER_IMPLS = {
    "default": {},
    "for_loop": {"foreach": False},
    "foreach": {"foreach": True},
    "fused": {"fused": True},
}


def build_optimizer(cfg, model: nn.Module) -> torch.optim.Optimizer:
    groups = get_param_groups(model, cfg)
    s = cfg.SOLVER
    if s.OPTIMIZER_IMPL not in OPTIMIZER_IMPLS:
        raise ValueError(f"SOLVER.OPTIMIZER_IMPL must be one of {sorted(OPTIMIZER_IMPLS)}, got {s.OPTIMIZER_IMPL!r}")
    impl = OPTIMIZER_IMPLS[s.OPTIMIZER_IMPL]
    if s.OPTIMIZER == "SGD":
        return torch.optim.SGD(groups, lr=s.BASE_LR, momentum=s.MOMENTUM, nesterov=s.NESTEROV, **impl)
    if s.OPTIMIZER == "AdamW":
        return torch.optim.AdamW(groups, lr=s.BASE_LR, betas=tuple(s.BETAS), **impl)
    raise ValueError(f"SOLVER.OPTIMIZER must be SGD or AdamW, got {s.OPTIMIZER!r}")
