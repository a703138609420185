"""OHEMCrossEntropy: cross-entropy over the hard pixels only (online hard example mining), as mmsegmentation's
OHEMPixelSampler in front of its CrossEntropyLoss, which the real-time recipes use."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .base import LOSS_REGISTRY, PixelLoss, upsample_logits
from .cross_entropy import LOSS_AVERAGES, sem_seg_cross_entropy


@LOSS_REGISTRY.register()
class OHEMCrossEntropy(PixelLoss):
    """Cross-entropy over the pixels that :meth:`hard_pixels` keeps; the others count as ignored.

    mmsegmentation's ``OHEMPixelSampler(thresh, min_kept)``: among the pixels that are not ignored, keep those whose
    softmax probability of the true class is below ``max(thresh, q)``, q being the (k+1)-th smallest such
    probability with k = ``min_kept`` per image (``per_image``, the sampler) or for the whole batch (``per_image``
    False: PIDNet's and mmsegmentation's ``OhemCrossEntropy``); when fewer pixels than that are valid, q is the
    largest probability, which leaves out the most confident pixel(s), as both references do. ``thresh`` None keeps
    the k pixels of highest (class-weighted) cross-entropy instead (the sampler without ``thresh``).

    Class weights and ``average`` (MODEL.LOSS.AVERAGE) are those of :class:`CrossEntropy`, over the kept pixels:
    "all" divides by every pixel of the batch (the sampler with mmseg's CrossEntropyLoss, ``avg_non_ignore=False``),
    "valid" by the kept pixels' summed weights, "valid_pixels" by their number (PIDNet's OhemCrossEntropy).
    MODEL.LOSS.OHEM: THRESH, MIN_KEPT, PER_IMAGE.
    """

    def __init__(
        self,
        *,
        thresh: Optional[float] = 0.7,
        min_kept: int = 100000,
        per_image: bool = True,
        average: str = "valid",
        **common,
    ) -> None:
        if average not in LOSS_AVERAGES:
            raise ValueError(f"MODEL.LOSS.AVERAGE must be one of {LOSS_AVERAGES}, got {average!r}")
        super().__init__(**common)
        self.thresh, self.min_kept, self.per_image, self.average = thresh, min_kept, per_image, average

    @classmethod
    def from_config(cls, cfg) -> dict:
        o = cfg.MODEL.LOSS.OHEM
        return {**cls.base_config(cfg), "thresh": o.THRESH, "min_kept": o.MIN_KEPT, "per_image": o.PER_IMAGE,
                "average": cfg.MODEL.LOSS.AVERAGE}

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits = upsample_logits(logits, targets.shape[-2:], self.align_corners)
        hard_targets = torch.where(self.hard_pixels(logits, targets), targets, self.ignore_index)
        return sem_seg_cross_entropy(
            logits, hard_targets, self.ignore_index, self.align_corners, self.class_weights, self.average
        )

    @torch.no_grad()
    def hard_pixels(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """N x H x W bool: the pixels the loss keeps, chosen on the device (no host round trip)."""
        valid = targets != self.ignore_index
        classes = torch.where(valid, targets, 0)
        kept = self.min_kept * targets.shape[0] if self.per_image else self.min_kept
        if self.thresh is None:
            loss = F.cross_entropy(logits.float(), classes, weight=self.class_weights, reduction="none")
            loss = torch.where(valid, loss, -torch.inf).flatten()
            chosen = torch.zeros_like(loss, dtype=torch.bool)
            chosen[loss.topk(min(kept, loss.numel())).indices] = True
            return valid & chosen.view_as(valid)
        prob = logits.float().softmax(1).gather(1, classes.unsqueeze(1)).squeeze(1)
        prob = torch.where(valid, prob, torch.inf)
        smallest = prob.flatten().topk(min(kept + 1, prob.numel()), largest=False).values
        n_valid = valid.sum()
        q = smallest.gather(0, (n_valid - 1).clamp(min=0, max=kept).view(1))
        threshold = torch.where(n_valid > 0, q, 0.0).clamp(min=self.thresh)
        return valid & (prob < threshold)
