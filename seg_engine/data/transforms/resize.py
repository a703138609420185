"""Resizing: bilinear for images, nearest neighbour for masks."""
from __future__ import annotations

from typing import Optional, Tuple

import cv2
import numpy as np
from fvcore.transforms.transform import Transform

from .augmentation import Augmentation

__all__ = ["ResizeTransform", "RandomRatioResize", "ResizeShortSide"]


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


class RandomRatioResize(Augmentation):
    """Rescale the image by a factor drawn uniformly from ``ratio_range``, keeping its aspect ratio.

    The factor applies to the image's own size (as in hszhao/semseg), not to a fixed target scale.
    """

    def __init__(self, ratio_range: Tuple[float, float]) -> None:
        lo, hi = ratio_range
        if not 0 < lo <= hi:
            raise ValueError(f"RandomRatioResize: need 0 < low <= high, got {ratio_range}")
        self.ratio_range = (float(lo), float(hi))

    def get_transform(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> ResizeTransform:
        ratio = rng.uniform(*self.ratio_range)
        h, w = image.shape[:2]
        return ResizeTransform(h, w, max(1, int(h * ratio + 0.5)), max(1, int(w * ratio + 0.5)))


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
        scale = self.short / min(h, w)
        return ResizeTransform(h, w, max(1, int(h * scale + 0.5)), max(1, int(w * scale + 0.5)))
