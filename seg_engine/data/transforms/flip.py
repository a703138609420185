"""Random horizontal flip."""
from __future__ import annotations

from typing import Optional

import numpy as np
from fvcore.transforms.transform import HFlipTransform as _FvHFlipTransform
from fvcore.transforms.transform import NoOpTransform, Transform

from .augmentation import Augmentation

__all__ = ["HFlipTransform", "RandomFlip"]


class HFlipTransform(_FvHFlipTransform):
    """fvcore's horizontal flip, returning a contiguous array so that no later step has to copy again."""

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(super().apply_image(img))


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
