"""Augmentations: random policies that, given an image and its mask, return a deterministic transform.

All randomness comes from the ``rng`` argument, so a sample's augmentation is a pure function of the
seed the loader gives it, whatever the number of workers.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np
from fvcore.transforms.transform import Transform, TransformList

__all__ = ["Augmentation", "AugmentationList"]


class Augmentation:
    """Base class: ``get_transform(image, sem_seg, rng)`` picks the parameters of a :class:`Transform`.

    ``image`` is HxWx3 uint8, ``sem_seg`` is HxW (or None where no mask exists). Calling the
    augmentation also applies the transform and returns ``(image, sem_seg, transform)``.
    """

    def get_transform(self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator) -> Transform:
        raise NotImplementedError

    def __call__(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> Tuple[np.ndarray, Optional[np.ndarray], Transform]:
        tfm = self.get_transform(image, sem_seg, rng)
        return tfm.apply_image(image), None if sem_seg is None else tfm.apply_segmentation(sem_seg), tfm

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class AugmentationList(Augmentation):
    """Several augmentations in order, each deciding on the output of the previous one."""

    def __init__(self, augs: Sequence[Augmentation]) -> None:
        self.augs = list(augs)

    def get_transform(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> TransformList:
        return self(image, sem_seg, rng)[2]

    def __call__(
        self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator
    ) -> Tuple[np.ndarray, Optional[np.ndarray], TransformList]:
        """Apply every augmentation once; prefer this to ``get_transform`` + apply, which works twice."""
        tfms = []
        for aug in self.augs:
            image, sem_seg, tfm = aug(image, sem_seg, rng)
            tfms.append(tfm)
        return image, sem_seg, TransformList(tfms)

    def __repr__(self) -> str:
        return f"AugmentationList({', '.join(map(repr, self.augs))})"
