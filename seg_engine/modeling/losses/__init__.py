"""Segmentation losses: LOSS_REGISTRY (MODEL.LOSS.NAMES) and the weighted sum a model trains with."""
from .base import LOSS_REGISTRY, PixelLoss, upsample_logits
from .build import WeightedLosses, build_losses, loss_term_name
from .cross_entropy import LOSS_AVERAGES, CrossEntropy, sem_seg_cross_entropy
from .dice import Dice
from .focal import Focal
from .lovasz import Lovasz
from .ohem import OHEMCrossEntropy
from .tversky import Tversky

__all__ = [
    "LOSS_AVERAGES",
    "LOSS_REGISTRY",
    "CrossEntropy",
    "Dice",
    "Focal",
    "Lovasz",
    "OHEMCrossEntropy",
    "PixelLoss",
    "Tversky",
    "WeightedLosses",
    "build_losses",
    "loss_term_name",
    "sem_seg_cross_entropy",
    "upsample_logits",
]
