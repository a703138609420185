"""Dice: one minus the soft Dice coefficient of each class, as segmentation_models_pytorch's DiceLoss."""
from __future__ import annotations

from .base import LOSS_REGISTRY
from .tversky import Tversky


@LOSS_REGISTRY.register()
class Dice(Tversky):
    """The soft Dice loss of the softmax probabilities, smp's ``DiceLoss(mode="multiclass")``: the Tversky loss with
    alpha = beta = 0.5 and gamma = 1, i.e. per class ``score_c = (2 TP + 2 smooth) / (sum p + sum t + 2 smooth)``
    over the batch's pixels that are not ignored (see :class:`Tversky` for absent classes and class weights).
    MODEL.LOSS.DICE: SMOOTH, EPS, LOG (``-log`` of the score instead of one minus it), smp's defaults."""

    def __init__(self, *, smooth: float = 0.0, eps: float = 1e-7, log_loss: bool = False, **common) -> None:
        super().__init__(alpha=0.5, beta=0.5, gamma=1.0, smooth=smooth, eps=eps, log_loss=log_loss, **common)

    @classmethod
    def from_config(cls, cfg) -> dict:
        d = cfg.MODEL.LOSS.DICE
        return {**cls.base_config(cfg), "smooth": d.SMOOTH, "eps": d.EPS, "log_loss": d.LOG}
