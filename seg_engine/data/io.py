"""Reading images (RGB uint8) and label masks, with errors that name the file."""
from __future__ import annotations

import cv2
import numpy as np
from iopath.common.file_io import g_pathmgr
from PIL import Image, UnidentifiedImageError


class BadSampleError(ValueError):
    """A sample that cannot be used as it is: unreadable, mismatched sizes, labels out of range."""


def _read_bytes(path: str) -> np.ndarray:
    try:
        with g_pathmgr.open(path, "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8)
    except OSError as e:
        raise BadSampleError(f"cannot read {path}: {e}") from None


def read_image(path: str) -> np.ndarray:
    """H x W x 3 uint8 RGB; grayscale is expanded, alpha dropped."""
    img = cv2.imdecode(_read_bytes(path), cv2.IMREAD_COLOR)
    if img is None:
        raise BadSampleError(f"cannot decode image {path}: the file is corrupt or not an image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB, dst=img)


def read_mask(path: str) -> np.ndarray:
    """H x W integer label array: palette PNGs give their indices, 16-bit masks stay 16-bit."""
    try:
        with g_pathmgr.open(path, "rb") as f:
            with Image.open(f) as mask:
                if mask.mode not in ("P", "L", "I", "I;16", "I;16B", "I;16L", "1"):
                    raise BadSampleError(f"mask {path} has mode {mask.mode}; expected one channel of labels")
                return np.asarray(mask)
    except (OSError, UnidentifiedImageError, SyntaxError) as e:
        raise BadSampleError(f"cannot decode mask {path}: {e}") from None
