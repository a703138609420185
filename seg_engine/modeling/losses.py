"""Segmentation losses."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def upsample_logits(logits: torch.Tensor, size, align_corners: bool) -> torch.Tensor:
    """Bilinear resize of N x C x h x w logits to ``size`` (a no-op when already there)."""
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(logits, size=size, mode="bilinear", align_corners=align_corners)


def sem_seg_cross_entropy(logits: torch.Tensor, target: torch.Tensor, ignore_index: int, align_corners: bool) -> torch.Tensor:
    """Pixel-wise cross-entropy at the target's resolution, ``ignore_index`` pixels left out.

    A batch whose pixels are all ignored gives 0 (with a gradient), not NaN.
    """
    logits = upsample_logits(logits, target.shape[-2:], align_corners)
    if not (target != ignore_index).any():
        return logits.sum() * 0.0
    return F.cross_entropy(logits.float(), target, ignore_index=ignore_index)
