"""Random Gaussian blur of the image (the mask is left as it is)."""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np
from fvcore.transforms.transform import NoOpTransform, Transform

from .augmentation import Augmentation

__all__ = ["GaussianBlurTransform", "RandomGaussianBlur"]


class GaussianBlurTransform(Transform):
    """``cv2.GaussianBlur`` with a square kernel and the sigma OpenCV derives from its size."""

    def __init__(self, kernel_size: int = 5) -> None:
        super().__init__()
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(img, (self.kernel_size, self.kernel_size), 0)

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return segmentation

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        return coords


class RandomGaussianBlur(Augmentation):
    """Blur with probability ``prob`` (hszhao/semseg's ``RandomGaussianBlur``: kernel 5, p 0.5)."""

    def __init__(self, prob: float = 0.5, kernel_size: int = 5) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"RandomGaussianBlur: prob must be in [0, 1], got {prob}")
        if kernel_size <= 0 or kernel_size % 2 == 0:
            raise ValueError(f"RandomGaussianBlur: kernel size must be odd and positive, got {kernel_size}")
        self.prob = prob
        self.kernel_size = kernel_size

    def get_transform(self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator) -> Transform:
        if rng.random() < self.prob:
            return GaussianBlurTransform(self.kernel_size)
        return NoOpTransform()
