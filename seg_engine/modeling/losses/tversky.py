"""Tversky: one minus the soft Tversky index of each class, as segmentation_models_pytorch's TverskyLoss."""
from __future__ import annotations

import torch

from .base import LOSS_REGISTRY, PixelLoss


@LOSS_REGISTRY.register()
class Tversky(PixelLoss):
    """The Tversky loss (Salehi et al. 2017) of the softmax probabilities, smp's ``TverskyLoss(mode="multiclass")``.

    Per class c, summed over the batch's pixels that are not ignored (p: the softmax probability of c, t: 1 where
    the target is c): ``TP = sum p t``, ``FP = sum p - TP``, ``FN = sum t - TP``,
    ``score_c = (TP + smooth) / max(TP + alpha FP + beta FN + smooth, eps)`` and
    ``loss_c = 1 - score_c`` (``-log max(score_c, eps)`` with ``log_loss``). A class absent from the batch's targets
    has ``loss_c = 0`` and still counts in the mean, as in smp. The loss is ``mean_c(loss_c) ** gamma``; with class
    weights the mean is ``sum_c w_c loss_c / sum_c w_c`` (smp's ``class_weights``). alpha weighs false positives,
    beta false negatives; alpha = beta = 0.5 is the Dice loss (MODEL.LOSS.TVERSKY: smp's defaults).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.5,
        beta: float = 0.5,
        gamma: float = 1.0,
        smooth: float = 0.0,
        eps: float = 1e-7,
        log_loss: bool = False,
        **common,
    ) -> None:
        super().__init__(**common)
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.smooth, self.eps, self.log_loss = smooth, eps, log_loss

    @classmethod
    def from_config(cls, cfg) -> dict:
        t = cfg.MODEL.LOSS.TVERSKY
        return {**cls.base_config(cfg), "alpha": t.ALPHA, "beta": t.BETA, "gamma": t.GAMMA, "smooth": t.SMOOTH,
                "eps": t.EPS}

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        probs = self.float_logits(logits, targets).log_softmax(1).exp()
        one_hot = self.one_hot(targets, probs.shape[1])
        probs = probs * (targets != self.ignore_index).unsqueeze(1)
        dims = (0, 2, 3)
        tp = (probs * one_hot).sum(dims)
        target_sum = one_hot.sum(dims).to(probs.dtype)
        denominator = tp + self.alpha * (probs.sum(dims) - tp) + self.beta * (target_sum - tp) + self.smooth
        score = (tp + self.smooth) / denominator.clamp_min(self.eps)
        loss = -torch.log(score.clamp_min(self.eps)) if self.log_loss else 1.0 - score
        loss = loss * (target_sum > 0)
        if self.class_weights is None:
            return loss.mean() ** self.gamma
        return ((loss * self.class_weights).sum() / self.class_weights.sum()) ** self.gamma
