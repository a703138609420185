"""Photometric distortion as mmsegmentation's ``PhotoMetricDistortion``: brightness, contrast,
saturation and hue, each applied with probability 1/2, contrast either second or last.

Every step maps each pixel value on its own (``uint8(clip(v * alpha + beta))``, in float32 like the
reference), so each is a 256-entry lookup table; brightness and contrast compose into one table when
contrast comes second, and saturation and hue share one trip through HSV (the reference converts back
to RGB between the two, which only adds rounding). The mask is left as it is.
"""
from __future__ import annotations

from typing import Optional, Tuple

import cv2
import numpy as np
from fvcore.transforms.transform import Transform

from .augmentation import Augmentation

__all__ = ["PhotoMetricDistortion", "PhotometricTransform"]

_HUE_PERIOD = 180  # OpenCV's 8-bit hue: degrees / 2


def _affine_lut(alpha: float = 1.0, beta: float = 0.0) -> np.ndarray:
    values = np.arange(256, dtype=np.float32) * np.float32(alpha) + np.float32(beta)
    return np.clip(values, 0, 255).astype(np.uint8)


def _then(first: Optional[np.ndarray], second: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """The table of ``first`` followed by ``second`` (either may be None: no step)."""
    if first is None or second is None:
        return second if first is None else first
    return second[first]


class PhotometricTransform(Transform):
    """Fixed photometric parameters; ``None`` leaves that step out.

    ``brightness`` is an added offset, ``contrast`` and ``saturation`` factors, ``hue`` an offset in
    OpenCV hue units (1 = 2 degrees); ``contrast_first`` puts contrast right after brightness.
    """

    def __init__(
        self,
        brightness: Optional[float] = None,
        contrast: Optional[float] = None,
        saturation: Optional[float] = None,
        hue: Optional[int] = None,
        contrast_first: bool = True,
    ) -> None:
        super().__init__()
        self._set_attributes(locals())
        identity = np.arange(256, dtype=np.uint8)
        bright = _affine_lut(beta=brightness) if brightness is not None else None
        contr = _affine_lut(alpha=contrast) if contrast is not None else None
        if contrast_first:
            self._before_hsv, self._after_hsv = _then(bright, contr), None
        else:
            self._before_hsv, self._after_hsv = bright, contr
        self._hsv = None
        if saturation is not None or hue is not None:
            hue_lut = ((identity.astype(np.int64) + hue) % _HUE_PERIOD).astype(np.uint8) if hue is not None else identity
            sat_lut = _affine_lut(alpha=saturation) if saturation is not None else identity
            self._hsv = np.ascontiguousarray(np.stack([hue_lut, sat_lut, identity], axis=-1)[None])

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        if self._before_hsv is not None:
            img = cv2.LUT(img, self._before_hsv)
        if self._hsv is not None:
            hsv = cv2.LUT(cv2.cvtColor(img, cv2.COLOR_RGB2HSV), self._hsv)
            img = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB, dst=hsv)
        if self._after_hsv is not None:
            img = cv2.LUT(img, self._after_hsv)
        return img

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return segmentation

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        return coords


class PhotoMetricDistortion(Augmentation):
    """Draws the parameters of a :class:`PhotometricTransform` (mmsegmentation's defaults: brightness
    offset in [-32, 32], contrast and saturation factors in [0.5, 1.5], hue offset in [-18, 18))."""

    def __init__(
        self,
        brightness_delta: float = 32,
        contrast_range: Tuple[float, float] = (0.5, 1.5),
        saturation_range: Tuple[float, float] = (0.5, 1.5),
        hue_delta: int = 18,
    ) -> None:
        self.brightness_delta = brightness_delta
        self.contrast_range = tuple(contrast_range)
        self.saturation_range = tuple(saturation_range)
        self.hue_delta = int(hue_delta)

    def get_transform(self, image: np.ndarray, sem_seg: Optional[np.ndarray], rng: np.random.Generator) -> Transform:
        # Every number is drawn, used or not, so that the stream of random numbers has a fixed length.
        use = rng.integers(2, size=4).astype(bool)
        contrast_first = bool(rng.integers(2))
        brightness = rng.uniform(-self.brightness_delta, self.brightness_delta)
        contrast = rng.uniform(*self.contrast_range)
        saturation = rng.uniform(*self.saturation_range)
        hue = int(rng.integers(-self.hue_delta, self.hue_delta)) if self.hue_delta > 0 else 0
        return PhotometricTransform(
            brightness=brightness if use[0] else None,
            contrast=contrast if use[1] else None,
            saturation=saturation if use[2] else None,
            hue=hue if use[3] else None,
            contrast_first=contrast_first,
        )
