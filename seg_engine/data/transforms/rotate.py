"""Random rotation about the image centre: the image bilinear, the mask nearest neighbour.

The corners that the rotation uncovers are filled with the ignore label in the mask and with the pixel
mean in the image (as hszhao/semseg does): after normalization they are zeros, the same neutral value
the model pads batches with, so they carry no edge for the network to learn.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from fvcore.transforms.transform import NoOpTransform, Transform

from .augmentation import Augmentation

__all__ = ["RandomRotation", "RotationTransform"]


class RotationTransform(Transform):
    """Rotate an (h, w) image by ``angle`` degrees counter-clockwise about its centre, keeping its size."""

    def __init__(
        self, h: int, w: int, angle: float, image_fill: Sequence[float] = (0, 0, 0), seg_fill: int = 255
    ) -> None:
        super().__init__()
        self._set_attributes(locals())
        self.matrix = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle, 1.0)

    def _warp(self, img: np.ndarray, interp: int, fill) -> np.ndarray:
        if img.shape[:2] != (self.h, self.w):
            raise ValueError(f"RotationTransform expects an image of size {(self.h, self.w)}, got {img.shape[:2]}")
        return cv2.warpAffine(
            img, self.matrix, (self.w, self.h), flags=interp, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
        )

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return self._warp(img, cv2.INTER_LINEAR, tuple(float(v) for v in self.image_fill))

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self._warp(segmentation, cv2.INTER_NEAREST, float(self.seg_fill))

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        return coords @ self.matrix[:, :2].T + self.matrix[:, 2]


class RandomRotation(Augmentation):
    """With probability ``prob``, rotate by an angle uniform in ``angle_range`` degrees
    (hszhao/semseg's ``RandRotate([-10, 10], p=0.5)``)."""

    def __init__(
        self,
        angle_range: Tuple[float, float] = (-10.0, 10.0),
        prob: float = 0.5,
        image_fill: Sequence[float] = (0, 0, 0),
        ignore_label: int = 255,
    ) -> None:
        lo, hi = angle_range
        if lo > hi:
            raise ValueError(f"RandomRotation: need low <= high, got {angle_range}")
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"RandomRotation: prob must be in [0, 1], got {prob}")
        self.angle_range = (float(lo), float(hi))
        self.prob = prob
        self.image_fill = tuple(image_fill)
        self.ignore_label = ignore_label

    def get_transform(self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator) -> Transform:
        # Both numbers are always drawn, so that the stream of random numbers does not depend on prob.
        apply, angle = rng.random() < self.prob, rng.uniform(*self.angle_range)
        if not apply:
            return NoOpTransform()
        h, w = image.shape[:2]
        return RotationTransform(h, w, angle, self.image_fill, self.ignore_label)
