"""Normalization layers chosen by name in configs, and freezing of BatchNorm statistics."""
from __future__ import annotations

from typing import Optional

from torch import nn
from torchvision.ops import FrozenBatchNorm2d

NORM_NAMES = ("BN", "SyncBN", "GN", "FrozenBN", "")
_MAX_GN_GROUPS = 32


def _num_groups(channels: int) -> int:
    """The most groups, at most 32, that split ``channels`` evenly, so narrow nets can use GN."""
    return next(g for g in range(min(_MAX_GN_GROUPS, channels), 0, -1) if channels % g == 0)


def get_norm(norm: Optional[str], channels: int, eps: float = 1e-5) -> nn.Module:
    """A normalization layer over ``channels`` feature maps; ``""`` or None gives nn.Identity.

    ``eps`` is the variance epsilon (1e-3 in TensorFlow's models, e.g. the aligned Xception).

    "FrozenBN" uses torchvision's FrozenBatchNorm2d, whose buffers are named like BatchNorm2d's
    (weight, bias, running_mean, running_var), so BN checkpoints load into it.
    """
    if not norm:
        return nn.Identity()
    if norm == "BN":
        return nn.BatchNorm2d(channels, eps=eps)
    if norm == "SyncBN":
        return nn.SyncBatchNorm(channels, eps=eps)
    if norm == "GN":
        return nn.GroupNorm(_num_groups(channels), channels, eps=eps)
    if norm == "FrozenBN":
        return FrozenBatchNorm2d(channels, eps=eps)
    raise ValueError(f"unknown norm {norm!r}; expected one of {', '.join(map(repr, NORM_NAMES))} (or None)")


def freeze_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d/SyncBatchNorm in ``module``'s tree by a FrozenBatchNorm2d.

    The affine parameters and running statistics are copied, so the output in eval mode is unchanged,
    and the result no longer updates statistics or learns in train mode. Returns the (possibly new)
    module; a BatchNorm given directly is returned replaced.
    """
    if isinstance(module, (nn.BatchNorm2d, nn.SyncBatchNorm)):
        stats = {name: getattr(module, name) for name in ("weight", "bias", "running_mean", "running_var")}
        stats = {name: value for name, value in stats.items() if value is not None}
        frozen = FrozenBatchNorm2d(module.num_features, eps=module.eps)
        if stats:
            frozen.to(next(iter(stats.values())).device)
        for name, value in stats.items():
            getattr(frozen, name).copy_(value.detach())
        return frozen
    for name, child in module.named_children():
        new_child = freeze_batchnorm(child)
        if new_child is not child:
            setattr(module, name, new_child)
    return module
