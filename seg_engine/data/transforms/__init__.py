"""Data augmentation on fvcore transforms, and :func:`build_augmentation` from a config."""
from __future__ import annotations

from fvcore.transforms.transform import NoOpTransform, Transform, TransformList

from .augmentation import Augmentation, AugmentationList
from .crop import RandomCrop
from .flip import HFlipTransform, RandomFlip
from .resize import RandomRatioResize, ResizeShortSide, ResizeTransform

__all__ = [
    "Augmentation",
    "AugmentationList",
    "HFlipTransform",
    "NoOpTransform",
    "RandomCrop",
    "RandomFlip",
    "RandomRatioResize",
    "ResizeShortSide",
    "ResizeTransform",
    "Transform",
    "TransformList",
    "build_augmentation",
]


def build_augmentation(cfg, is_train: bool) -> AugmentationList:
    """The training (rescale, crop, flip) or test (short-side resize) pipeline of ``cfg.INPUT``."""
    augs = []
    if is_train:
        t = cfg.INPUT.TRAIN
        if t.RESIZE_MODE == "ratio" and tuple(t.RATIO_RANGE) != (1, 1):
            augs.append(RandomRatioResize(tuple(t.RATIO_RANGE)))
        if tuple(t.CROP_SIZE) != (0, 0):
            augs.append(RandomCrop(tuple(t.CROP_SIZE), cfg.MODEL.IGNORE_VALUE, t.CAT_MAX_RATIO))
        if t.FLIP:
            augs.append(RandomFlip(0.5))
    elif cfg.INPUT.TEST.RESIZE_MODE == "short_side":
        augs.append(ResizeShortSide(cfg.INPUT.TEST.SHORT_SIDE))
    return AugmentationList(augs)
