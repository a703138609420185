"""Random horizontal flip."""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np
from fvcore.transforms.transform import HFlipTransform as _FvHFlipTransform
from fvcore.transforms.transform import NoOpTransform, Transform

from .augmentation import Augmentation

__all__ = ["HFlipTransform", "RandomFlip"]

_CV2_DTYPES = {np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)}


class HFlipTransform(_FvHFlipTransform):
    """fvcore's horizontal flip done by ``cv2.flip``: a contiguous result, many times faster than NumPy's
    reversed copy of an H x W x 3 array."""

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        if img.dtype in _CV2_DTYPES and (img.ndim == 2 or (img.ndim == 3 and 2 <= img.shape[2] <= 4)):
            return cv2.flip(img, 1)
        return np.ascontiguousarray(super().apply_image(img))

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self.apply_image(segmentation)


class RandomFlip(Augmentation):
    """Flip horizontally with probability ``prob``."""

    def __init__(self, prob: float = 0.5) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"RandomFlip: prob must be in [0, 1], got {prob}")
        self.prob = prob

    def get_transform(self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator) -> Transform:
        # Always draw, so that the stream of random numbers does not depend on prob.
        if rng.random() < self.prob:
            return HFlipTransform(image.shape[1])
        return NoOpTransform()
