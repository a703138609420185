"""Random crop, padding images smaller than the crop (0 in the image, the ignore label in the mask)."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
from fvcore.transforms.transform import CropTransform, PadTransform, Transform, TransformList

from .augmentation import Augmentation

__all__ = ["RandomCrop"]

_CAT_MAX_RETRIES = 10


class RandomCrop(Augmentation):
    """Crop a random ``crop_size`` (h, w) window.

    An image smaller than the crop is first padded at the bottom/right. With ``cat_max_ratio`` < 1 the
    window is redrawn up to 10 times (as in mmsegmentation) until it holds at least two classes and no
    class covers more than that share of its labelled pixels; the last draw is kept otherwise.
    """

    def __init__(self, crop_size: Tuple[int, int], ignore_label: int = 255, cat_max_ratio: float = 1.0) -> None:
        ch, cw = crop_size
        if ch <= 0 or cw <= 0:
            raise ValueError(f"RandomCrop: crop size must be positive, got {crop_size}")
        self.crop_size = (int(ch), int(cw))
        self.ignore_label = ignore_label
        self.cat_max_ratio = cat_max_ratio

    def get_transform(self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator) -> Transform:
        h, w = image.shape[:2]
        ch, cw = self.crop_size
        ph, pw = max(h, ch), max(w, cw)
        y0, x0 = self._draw(ph - ch, pw - cw, rng)
        if self.cat_max_ratio < 1.0 and sem_seg is not None:
            for _ in range(_CAT_MAX_RETRIES):
                if self._balanced(sem_seg[y0 : y0 + ch, x0 : x0 + cw]):
                    break
                y0, x0 = self._draw(ph - ch, pw - cw, rng)
        crop = CropTransform(x0, y0, cw, ch, orig_w=pw, orig_h=ph)
        if (ph, pw) == (h, w):
            return crop
        pad = PadTransform(0, 0, pw - w, ph - h, orig_w=w, orig_h=h, pad_value=0, seg_pad_value=self.ignore_label)
        return TransformList([pad, crop])

    @staticmethod
    def _draw(max_y: int, max_x: int, rng: np.random.Generator) -> Tuple[int, int]:
        return int(rng.integers(0, max_y + 1)), int(rng.integers(0, max_x + 1))

    def _balanced(self, window: np.ndarray) -> bool:
        # Pixels of the window that fall in the padding are ignore pixels, so the unpadded mask suffices.
        counts = np.bincount(window.ravel())
        if self.ignore_label < len(counts):
            counts[self.ignore_label] = 0
        counts = counts[counts > 0]
        return len(counts) > 1 and counts.max() / counts.sum() < self.cat_max_ratio
