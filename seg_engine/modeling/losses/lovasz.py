"""Lovasz: the Lovasz-softmax loss, a convex surrogate of each class's Jaccard index (Berman et al., CVPR 2018)."""
from __future__ import annotations

import torch

from .base import LOSS_REGISTRY, PixelLoss


def lovasz_grad(fg_sorted: torch.Tensor) -> torch.Tensor:
    """G x P bool ground truth, sorted by decreasing error -> the gradient of the Lovasz extension of the Jaccard
    loss at those errors (the paper's Algorithm 1), row by row. Counts are kept in int64, so exact at any size."""
    gts = fg_sorted.sum(1, keepdim=True)
    intersection = gts - fg_sorted.cumsum(1)
    union = gts + (~fg_sorted).cumsum(1)
    jaccard = 1.0 - intersection / union
    return torch.diff(jaccard, dim=1, prepend=jaccard.new_zeros(jaccard.shape[0], 1))


@LOSS_REGISTRY.register()
class Lovasz(PixelLoss):
    """smp's ``LovaszLoss(mode="multiclass")`` (the authors' ``lovasz_softmax`` with classes "present"): for each
    class present in the targets, the dot product of the pixels' errors ``|[target = c] - p_c|`` (p: softmax),
    sorted in decreasing order, with :func:`lovasz_grad`; the loss is the mean over present classes. Ignored pixels
    are left out. ``per_image`` (MODEL.LOSS.LOVASZ.PER_IMAGE) computes it for each image and averages over the
    images that have a pixel that is not ignored; otherwise over the whole batch at once.

    smp has no class weights; with MODEL.LOSS.CLASS_WEIGHTS a class's loss is multiplied by its weight before the
    mean over present classes (mmsegmentation's LovaszLoss ``class_weight``). The classes are a loop (each a sort
    of the pixels), so memory stays that of one class.
    """

    def __init__(self, *, per_image: bool = False, **common) -> None:
        super().__init__(**common)
        self.per_image = per_image

    @classmethod
    def from_config(cls, cfg) -> dict:
        return {**cls.base_config(cfg), "per_image": cfg.MODEL.LOSS.LOVASZ.PER_IMAGE}

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        probs = self.float_logits(logits, targets).softmax(1)
        groups = targets.shape[0] if self.per_image else 1
        labels = targets.reshape(groups, -1)
        valid = labels != self.ignore_index
        losses, present = [], []
        for c in range(probs.shape[1]):
            fg = (labels == c) & valid
            errors = torch.where(valid, (fg.to(probs.dtype) - probs[:, c].reshape(groups, -1)).abs(), 0.0)
            # Ignored pixels have error 0, so they sort after every pixel that contributes.
            errors_sorted, order = errors.sort(dim=1, descending=True)
            losses.append((errors_sorted * lovasz_grad(fg.gather(1, order))).sum(1))
            present.append(fg.any(1))
        losses = torch.stack(losses, 1)
        present = torch.stack(present, 1).to(probs.dtype)
        if self.class_weights is not None:
            losses = losses * self.class_weights
        counted = present.sum(1)
        per_group = (losses * present).sum(1) / counted.clamp(min=1)
        return per_group.sum() / (counted > 0).sum().clamp(min=1)
