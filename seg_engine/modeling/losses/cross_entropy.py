"""CrossEntropy: the pixel-wise cross-entropy, with class weights and a choice of what the sum is divided by."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .base import LOSS_REGISTRY, PixelLoss, upsample_logits

LOSS_AVERAGES = ("valid", "all", "sum", "valid_pixels")


def sem_seg_cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    ignore_index: int,
    align_corners: bool,
    class_weights: Optional[torch.Tensor] = None,
    average: str = "valid",
) -> torch.Tensor:
    """Pixel-wise cross-entropy at the target's resolution, ``ignore_index`` pixels left out.

    ``class_weights`` weighs each pixel by its target class. ``average`` (MODEL.LOSS.AVERAGE) divides
    the weighted sum by the valid pixels' weights ("valid"), by every pixel of the batch ("all"), by
    the number of valid pixels ("valid_pixels": Caffe's SoftmaxWithLoss with ``class_weighting``, as
    SegNet trains; the same as "valid" without class weights) or not at all ("sum"). A batch whose pixels are
    all ignored gives 0 (with a gradient), not NaN.
    """
    if average not in LOSS_AVERAGES:
        raise ValueError(f"MODEL.LOSS.AVERAGE must be one of {LOSS_AVERAGES}, got {average!r}")
    logits = upsample_logits(logits, target.shape[-2:], align_corners)
    if average == "valid":
        if not (target != ignore_index).any():
            return logits.sum() * 0.0
        return F.cross_entropy(logits.float(), target, weight=class_weights, ignore_index=ignore_index)
    total = F.cross_entropy(logits.float(), target, weight=class_weights, ignore_index=ignore_index, reduction="sum")
    if average == "sum":
        return total
    if average == "valid_pixels":
        return total / (target != ignore_index).sum().clamp(min=1)
    return total / target.numel()


@LOSS_REGISTRY.register()
class CrossEntropy(PixelLoss):
    """:func:`sem_seg_cross_entropy` as a module (MODEL.LOSS.NAMES "CrossEntropy", the default). A class weight
    multiplies the loss of each pixel of that class (PyTorch's ``weight``); ``average`` is MODEL.LOSS.AVERAGE."""

    def __init__(self, *, average: str = "valid", **common) -> None:
        if average not in LOSS_AVERAGES:
            raise ValueError(f"MODEL.LOSS.AVERAGE must be one of {LOSS_AVERAGES}, got {average!r}")
        super().__init__(**common)
        self.average = average

    @classmethod
    def from_config(cls, cfg) -> dict:
        return {**cls.base_config(cfg), "average": cfg.MODEL.LOSS.AVERAGE}

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return sem_seg_cross_entropy(
            logits, targets, self.ignore_index, self.align_corners, self.class_weights, self.average
        )
