"""Focal: the sigmoid focal loss of each class's logit, one class against the rest, as segmentation_models_pytorch's
FocalLoss."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .base import LOSS_REGISTRY, PixelLoss


@LOSS_REGISTRY.register()
class Focal(PixelLoss):
    """The focal loss (Lin et al. 2017) of smp's ``FocalLoss(mode="multiclass")`` (and mmsegmentation's sigmoid
    FocalLoss): each class's logit x is a binary one-vs-rest prediction. With z = x at pixels of the class and -x
    elsewhere, a pixel's term for the class is ``alpha_t (1 - sigmoid(z)) ** gamma (-log sigmoid(z))``, alpha_t =
    alpha at pixels of the class and 1 - alpha elsewhere (1 with alpha None, smp's default).

    Each class's loss is the mean of its terms over the pixels that are not ignored; the loss is their mean over
    classes (with class weights, ``sum_c w_c loss_c / sum_c w_c``: smp's ``class_weights``). The factor
    ``(1 - sigmoid(z)) ** gamma`` is computed as ``exp(gamma logsigmoid(-z))``: value and gradient stay finite for
    any logit and any gamma >= 0 (smp's ``(1 - exp(-bce)) ** gamma`` has an infinite gradient at a saturated pixel
    when gamma < 1). MODEL.LOSS.FOCAL: GAMMA, ALPHA.
    """

    def __init__(self, *, gamma: float = 2.0, alpha: Optional[float] = None, **common) -> None:
        super().__init__(**common)
        self.gamma, self.alpha = gamma, alpha

    @classmethod
    def from_config(cls, cfg) -> dict:
        f = cfg.MODEL.LOSS.FOCAL
        return {**cls.base_config(cfg), "gamma": f.GAMMA, "alpha": f.ALPHA}

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits = self.float_logits(logits, targets)
        one_hot = self.one_hot(targets, logits.shape[1])
        valid = (targets != self.ignore_index).unsqueeze(1)
        z = torch.where(one_hot, logits, -logits)
        terms = -F.logsigmoid(z) * torch.exp(self.gamma * F.logsigmoid(-z))
        if self.alpha is not None:
            terms = terms * torch.where(one_hot, self.alpha, 1.0 - self.alpha)
        class_losses = (terms * valid).sum((0, 2, 3)) / valid.sum().clamp(min=1)
        if self.class_weights is None:
            return class_losses.mean()
        return (class_losses * self.class_weights).sum() / self.class_weights.sum()
