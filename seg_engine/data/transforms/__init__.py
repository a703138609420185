"""Data augmentation on fvcore transforms, and :func:`build_augmentation` from a config."""
from __future__ import annotations

from typing import List

from fvcore.transforms.transform import NoOpTransform, Transform, TransformList

from .augmentation import Augmentation, AugmentationList
from .blur import GaussianBlurTransform, RandomGaussianBlur
from .crop import RandomCrop
from .flip import HFlipTransform, RandomFlip
from .photometric import PhotoMetricDistortion, PhotometricTransform
from .resize import (
    RandomLongSideResize,
    RandomRatioResize,
    RandomScaleResize,
    ResizeLongSide,
    ResizeShortSide,
    ResizeToScale,
    ResizeToScaleAligned,
    ResizeTransform,
)
from .rotate import RandomRotation, RotationTransform

__all__ = [
    "Augmentation",
    "AugmentationList",
    "GaussianBlurTransform",
    "HFlipTransform",
    "NoOpTransform",
    "PhotoMetricDistortion",
    "PhotometricTransform",
    "RandomCrop",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomLongSideResize",
    "RandomRatioResize",
    "RandomRotation",
    "RandomScaleResize",
    "ResizeLongSide",
    "ResizeShortSide",
    "ResizeToScale",
    "ResizeToScaleAligned",
    "ResizeTransform",
    "RotationTransform",
    "Transform",
    "TransformList",
    "build_augmentation",
]

TRAIN_RESIZE_MODES = ("ratio", "scale", "long_side", "none")
TEST_RESIZE_MODES = ("none", "short_side", "long_side", "scale", "aligned_scale")


def _train_resize(cfg) -> List[Augmentation]:
    t = cfg.INPUT.TRAIN
    ratio_range = tuple(t.RATIO_RANGE)
    if t.RESIZE_MODE == "ratio":
        return [RandomRatioResize(ratio_range)] if ratio_range != (1, 1) else []
    if t.RESIZE_MODE == "scale":
        return [RandomScaleResize(tuple(t.SCALE), ratio_range)]
    if t.RESIZE_MODE == "long_side":
        return [RandomLongSideResize(t.BASE_SIZE, ratio_range)]
    if t.RESIZE_MODE == "none":
        return []
    raise ValueError(f"INPUT.TRAIN.RESIZE_MODE must be one of {TRAIN_RESIZE_MODES}, got {t.RESIZE_MODE!r}")


def _test_resize(cfg) -> List[Augmentation]:
    t = cfg.INPUT.TEST
    if t.RESIZE_MODE == "none":
        return []
    if t.RESIZE_MODE == "short_side":
        return [ResizeShortSide(t.SHORT_SIDE)]
    if t.RESIZE_MODE == "long_side":
        return [ResizeLongSide(t.LONG_SIDE)]
    if t.RESIZE_MODE == "scale":
        return [ResizeToScale(tuple(t.SCALE))]
    if t.RESIZE_MODE == "aligned_scale":
        return [ResizeToScaleAligned(tuple(t.SCALE), t.SIZE_DIVISOR)]
    raise ValueError(f"INPUT.TEST.RESIZE_MODE must be one of {TEST_RESIZE_MODES}, got {t.RESIZE_MODE!r}")


def build_augmentation(cfg, is_train: bool) -> AugmentationList:
    """The training or test pipeline of ``cfg.INPUT``.

    Training runs, each when enabled: rescale (INPUT.TRAIN.RESIZE_MODE), rotate, blur, crop, flip,
    photometric distortion. That is mmsegmentation's order (resize, crop, flip, photometric), and
    hszhao/semseg's (scale, rotate, blur, flip, crop) and PyTorch-Encoding's (flip, long side, crop) up
    to steps that commute in distribution (a flip with a uniformly placed crop, a flip with a resize).
    Testing resizes the image only (INPUT.TEST.RESIZE_MODE), keeping the aspect ratio.
    """
    if not is_train:
        return AugmentationList(_test_resize(cfg))
    t = cfg.INPUT.TRAIN
    ignore = cfg.MODEL.IGNORE_VALUE
    augs = _train_resize(cfg)
    if tuple(t.ROTATION) != (0, 0) and t.ROTATION_PROB > 0:
        mean_fill = tuple(int(round(v)) for v in cfg.MODEL.PIXEL_MEAN)
        augs.append(RandomRotation(tuple(t.ROTATION), t.ROTATION_PROB, mean_fill, ignore))
    if t.BLUR_PROB > 0:
        augs.append(RandomGaussianBlur(t.BLUR_PROB))
    if tuple(t.CROP_SIZE) != (0, 0):
        augs.append(RandomCrop(tuple(t.CROP_SIZE), ignore, t.CAT_MAX_RATIO))
    if t.FLIP:
        augs.append(RandomFlip(0.5))
    if t.PHOTOMETRIC:
        augs.append(PhotoMetricDistortion())
    return AugmentationList(augs)
