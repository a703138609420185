"""PixelLoss and LOSS_REGISTRY: what every loss a config names shares (the ignore value, class weights, logits at
any resolution)."""
from __future__ import annotations

from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from fvcore.common.registry import Registry
from torch import nn

LOSS_REGISTRY = Registry("LOSS")
LOSS_REGISTRY.__doc__ = (
    "Pixel losses (MODEL.LOSS.NAMES): ``cls(**cls.from_config(cfg))`` -> a module taking N x C x h x w logits and "
    "N x H x W targets, returning a scalar."
)


def upsample_logits(logits: torch.Tensor, size, align_corners: bool) -> torch.Tensor:
    """Bilinear resize of N x C x h x w logits to ``size`` (a no-op when already there)."""
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(logits, size=size, mode="bilinear", align_corners=align_corners)


def class_weights_from_config(cfg) -> Optional[List[float]]:
    """MODEL.LOSS.CLASS_WEIGHTS (None when empty), checked against MODEL.NUM_CLASSES."""
    weights = [float(w) for w in cfg.MODEL.LOSS.CLASS_WEIGHTS]
    if weights and len(weights) != cfg.MODEL.NUM_CLASSES:
        raise ValueError(
            f"MODEL.LOSS.CLASS_WEIGHTS has {len(weights)} weights but MODEL.NUM_CLASSES is {cfg.MODEL.NUM_CLASSES}"
        )
    return weights or None


class PixelLoss(nn.Module):
    """A loss of N x C x h x w logits (any resolution: resized bilinearly to the targets') against N x H x W class
    ids, pixels equal to ``ignore_index`` left out. ``class_weights`` (one per class, or None) is a non-persistent
    buffer: it follows the model's device and stays out of checkpoints. Subclasses say what a class weight means
    for them and compute in float32, whatever the logits' dtype (autocast)."""

    def __init__(
        self, *, ignore_index: int = 255, align_corners: bool = False, class_weights: Optional[Sequence[float]] = None
    ) -> None:
        super().__init__()
        self.ignore_index = ignore_index
        self.align_corners = align_corners
        weights = torch.as_tensor(class_weights, dtype=torch.float32) if class_weights is not None else None
        self.register_buffer("class_weights", weights if weights is not None and weights.numel() else None, False)

    @staticmethod
    def base_config(cfg) -> dict:
        """The arguments every loss reads: MODEL.IGNORE_VALUE, MODEL.ALIGN_CORNERS, MODEL.LOSS.CLASS_WEIGHTS."""
        return {
            "ignore_index": cfg.MODEL.IGNORE_VALUE,
            "align_corners": cfg.MODEL.ALIGN_CORNERS,
            "class_weights": class_weights_from_config(cfg),
        }

    def float_logits(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The logits at the targets' size, in float32."""
        return upsample_logits(logits, targets.shape[-2:], self.align_corners).float()

    def one_hot(self, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
        """N x C x H x W bool: pixel is of class c; all False at ignored pixels."""
        classes = torch.arange(num_classes, device=targets.device).view(1, -1, 1, 1)
        return (targets.unsqueeze(1) == classes) & (targets != self.ignore_index).unsqueeze(1)
