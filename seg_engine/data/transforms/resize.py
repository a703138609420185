"""Resizing that keeps the aspect ratio: bilinear for images, nearest neighbour for masks.

Random rescales of the three reference recipes (all with a factor r uniform in a range):
:class:`RandomRatioResize` (hszhao/semseg: the image times r), :class:`RandomScaleResize`
(mmsegmentation: fit inside a reference scale times r) and :class:`RandomLongSideResize`
(PyTorch-Encoding: an integer long side in [base * low, base * high]); and the test-time resizes
:class:`ResizeShortSide`, :class:`ResizeLongSide`, :class:`ResizeToScale`, :class:`ResizeToScaleAligned`.
"""
from __future__ import annotations

from typing import Optional, Tuple

import cv2
import numpy as np
from fvcore.transforms.transform import Transform, TransformList

from .augmentation import Augmentation

__all__ = [
    "RandomLongSideResize",
    "RandomRatioResize",
    "RandomScaleResize",
    "ResizeLongSide",
    "ResizeShortSide",
    "ResizeToScale",
    "ResizeToScaleAligned",
    "ResizeTransform",
]


class ResizeTransform(Transform):
    """Resize an (h, w) image to (new_h, new_w) with cv2: INTER_LINEAR for images, INTER_NEAREST for masks."""

    def __init__(self, h: int, w: int, new_h: int, new_w: int) -> None:
        super().__init__()
        self._set_attributes(locals())

    def _resize(self, img: np.ndarray, interp: int) -> np.ndarray:
        if img.shape[:2] != (self.h, self.w):
            raise ValueError(f"ResizeTransform expects an image of size {(self.h, self.w)}, got {img.shape[:2]}")
        if (self.new_h, self.new_w) == (self.h, self.w):
            return img
        out = cv2.resize(np.ascontiguousarray(img), (self.new_w, self.new_h), interpolation=interp)
        # cv2 drops a trailing channel axis of size 1 and returns int64 input as int32.
        return out.reshape(self.new_h, self.new_w, *img.shape[2:]).astype(img.dtype, copy=False)

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return self._resize(img, cv2.INTER_LINEAR)

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self._resize(segmentation, cv2.INTER_NEAREST)

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        coords[:, 0] = coords[:, 0] * (self.new_w / self.w)
        coords[:, 1] = coords[:, 1] * (self.new_h / self.h)
        return coords

    def inverse(self) -> Transform:
        return ResizeTransform(self.new_h, self.new_w, self.h, self.w)


def _rescale(h: int, w: int, factor: float) -> ResizeTransform:
    """Both sides times ``factor``, rounded half up, at least one pixel."""
    return ResizeTransform(h, w, max(1, int(h * factor + 0.5)), max(1, int(w * factor + 0.5)))


def _long_side_to(h: int, w: int, long_side: int) -> ResizeTransform:
    """The long side becomes exactly ``long_side``; the short side follows, rounded half up."""
    if h > w:
        return ResizeTransform(h, w, long_side, max(1, int(w * long_side / h + 0.5)))
    return ResizeTransform(h, w, max(1, int(h * long_side / w + 0.5)), long_side)


def _fit_in_scale(h: int, w: int, scale: Tuple[float, float]) -> ResizeTransform:
    """The largest rescale that fits the long side in max(scale) and the short side in min(scale)."""
    factor = min(max(scale) / max(h, w), min(scale) / min(h, w))
    return _rescale(h, w, factor)


def _check_range(name: str, ratio_range: Tuple[float, float]) -> Tuple[float, float]:
    lo, hi = ratio_range
    if not 0 < lo <= hi:
        raise ValueError(f"{name}: need 0 < low <= high, got {ratio_range}")
    return float(lo), float(hi)


class RandomRatioResize(Augmentation):
    """Rescale the image by a factor drawn uniformly from ``ratio_range``, keeping its aspect ratio.

    The factor applies to the image's own size (as in hszhao/semseg), not to a fixed target scale.
    """

    def __init__(self, ratio_range: Tuple[float, float]) -> None:
        self.ratio_range = _check_range("RandomRatioResize", ratio_range)

    def get_transform(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> ResizeTransform:
        return _rescale(*image.shape[:2], rng.uniform(*self.ratio_range))


class RandomScaleResize(Augmentation):
    """Fit the image inside ``scale`` (long, short) times r, keeping its aspect ratio (mmsegmentation's
    ``RandomResize(scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True)``).

    The target is ``(int(long * r), int(short * r))``; the image gets the largest factor that keeps its
    long side within the first and its short side within the second.
    """

    def __init__(self, scale: Tuple[int, int] = (2048, 512), ratio_range: Tuple[float, float] = (0.5, 2.0)) -> None:
        if min(scale) <= 0:
            raise ValueError(f"RandomScaleResize: scale must be positive, got {scale}")
        self.scale = (int(scale[0]), int(scale[1]))
        self.ratio_range = _check_range("RandomScaleResize", ratio_range)

    def get_transform(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> ResizeTransform:
        r = rng.uniform(*self.ratio_range)
        target = (max(1, int(self.scale[0] * r)), max(1, int(self.scale[1] * r)))
        return _fit_in_scale(*image.shape[:2], target)


class RandomLongSideResize(Augmentation):
    """Resize so that the long side is an integer drawn uniformly from
    ``[int(base_size * low), int(base_size * high)]`` (PyTorch-Encoding: base 520, long side 260..1040)."""

    def __init__(self, base_size: int = 520, ratio_range: Tuple[float, float] = (0.5, 2.0)) -> None:
        if base_size <= 0:
            raise ValueError(f"RandomLongSideResize: base size must be positive, got {base_size}")
        self.base_size = int(base_size)
        self.ratio_range = _check_range("RandomLongSideResize", ratio_range)

    def get_transform(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> ResizeTransform:
        lo, hi = (max(1, int(self.base_size * r)) for r in self.ratio_range)
        return _long_side_to(*image.shape[:2], int(rng.integers(lo, hi, endpoint=True)))


class ResizeShortSide(Augmentation):
    """Resize so that the shorter side is ``short`` pixels long, keeping the aspect ratio (for testing)."""

    def __init__(self, short: int) -> None:
        if short <= 0:
            raise ValueError(f"ResizeShortSide: short side must be positive, got {short}")
        self.short = int(short)

    def get_transform(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> ResizeTransform:
        h, w = image.shape[:2]
        return _rescale(h, w, self.short / min(h, w))


class ResizeLongSide(Augmentation):
    """Resize so that the longer side is ``long`` pixels long, keeping the aspect ratio (hszhao/semseg's
    and PyTorch-Encoding's test ``base_size``)."""

    def __init__(self, long: int) -> None:
        if long <= 0:
            raise ValueError(f"ResizeLongSide: long side must be positive, got {long}")
        self.long = int(long)

    def get_transform(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> ResizeTransform:
        return _long_side_to(*image.shape[:2], self.long)


class ResizeToScale(Augmentation):
    """Fit inside ``scale`` (long, short) keeping the aspect ratio (mmsegmentation's test
    ``Resize(scale=(2048, 512), keep_ratio=True)``)."""

    def __init__(self, scale: Tuple[int, int] = (2048, 512)) -> None:
        if min(scale) <= 0:
            raise ValueError(f"ResizeToScale: scale must be positive, got {scale}")
        self.scale = (int(scale[0]), int(scale[1]))

    def get_transform(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> ResizeTransform:
        return _fit_in_scale(*image.shape[:2], self.scale)


class ResizeToScaleAligned(Augmentation):
    """Fit inside ``scale`` as :class:`ResizeToScale`, then resize again so that each side is rounded up to
    a multiple of ``size_divisor`` (SegFormer's test-time ``AlignedResize``, mmsegmentation's ``Resize`` +
    ``ResizeToMultiple``): two bilinear resizes, the second changing the aspect ratio slightly."""

    def __init__(self, scale: Tuple[int, int] = (2048, 512), size_divisor: int = 32) -> None:
        if min(scale) <= 0 or size_divisor <= 0:
            raise ValueError(f"ResizeToScaleAligned: scale and size divisor must be positive, got {scale}, {size_divisor}")
        self.scale = (int(scale[0]), int(scale[1]))
        self.size_divisor = int(size_divisor)

    def get_transform(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> TransformList:
        fit = _fit_in_scale(*image.shape[:2], self.scale)
        d = self.size_divisor
        aligned_h, aligned_w = -(-fit.new_h // d) * d, -(-fit.new_w // d) * d
        return TransformList([fit, ResizeTransform(fit.new_h, fit.new_w, aligned_h, aligned_w)])
