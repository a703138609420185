"""Reading images (RGB uint8) and label masks, with errors that name the file.

Every problem with one sample raises a :class:`BadSampleError` subclass, so that the loader can stop
with that one message or, with ``DATALOADER.SKIP_BAD_SAMPLES``, skip the sample and count it.
"""
from __future__ import annotations

import errno
from typing import Optional, Sequence

import cv2
import numpy as np
from iopath.common.file_io import g_pathmgr
from PIL import Image, UnidentifiedImageError

from .palette import colours_to_labels

__all__ = [
    "BadSampleError",
    "LabelOutOfRangeError",
    "MissingFileError",
    "SizeMismatchError",
    "UnknownColourError",
    "UnreadableFileError",
    "read_image",
    "read_mask",
]

# EXIF orientation is ignored: masks have none, and rotating the image alone would misalign the pair.
_IMREAD_FLAGS = getattr(cv2, "IMREAD_COLOR_RGB", cv2.IMREAD_COLOR) | cv2.IMREAD_IGNORE_ORIENTATION
_DECODES_TO_RGB = hasattr(cv2, "IMREAD_COLOR_RGB")
_MASK_MODES = ("P", "L", "I", "I;16", "I;16B", "I;16L", "1")


class BadSampleError(ValueError):
    """A sample that cannot be used as it is; ``kind`` names the problem for reports."""

    kind = "bad sample"


class UnreadableFileError(BadSampleError):
    kind = "unreadable file"


class MissingFileError(UnreadableFileError):
    kind = "missing file"


class SizeMismatchError(BadSampleError):
    kind = "size mismatch"


class LabelOutOfRangeError(BadSampleError):
    kind = "labels out of range"


class UnknownColourError(BadSampleError):
    kind = "colours not in the palette"


def _read_bytes(path: str) -> bytes:
    try:
        with g_pathmgr.open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise MissingFileError(f"cannot read {path}: no such file") from None
    except OSError as e:
        if e.errno == errno.ENOENT:
            raise MissingFileError(f"cannot read {path}: no such file") from None
        raise UnreadableFileError(f"cannot read {path}: {e}") from None


def read_image(path: str) -> np.ndarray:
    """H x W x 3 uint8 RGB: grayscale is expanded, alpha dropped, palettes applied, 16 bits reduced to 8.

    A truncated or corrupt file raises :class:`UnreadableFileError` naming it.
    """
    data = _read_bytes(path)
    img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), _IMREAD_FLAGS) if data else None
    if img is None:
        raise UnreadableFileError(f"cannot decode image {path}: the file is truncated, corrupt or not an image")
    if not _DECODES_TO_RGB:
        cv2.cvtColor(img, cv2.COLOR_BGR2RGB, dst=img)
    return img


def read_mask(path: str, colours: Optional[Sequence[Sequence[int]]] = None) -> np.ndarray:
    """H x W label array: palette PNGs give their indices (not colours), 16-bit masks stay uint16.

    One-bit masks come back as uint8 0/1. Masks with colour channels (RGB, RGBA) are decoded through
    ``colours`` (colour i is value i: a folder dataset's DATASETS.FOLDER.PALETTE); without it they are
    refused, since a label is one number.
    """
    try:
        with g_pathmgr.open(path, "rb") as f:
            with Image.open(f) as mask:
                if mask.mode in ("RGB", "RGBA") and colours is not None:
                    return colours_to_labels(np.asarray(mask.convert("RGB")), colours, path)
                if mask.mode not in _MASK_MODES:
                    raise UnreadableFileError(
                        f"mask {path} has mode {mask.mode}; expected one channel of labels "
                        f"(modes {', '.join(_MASK_MODES)}), or colours with DATASETS.FOLDER.PALETTE "
                        "(the colour of each class)"
                    )
                labels = np.asarray(mask)
    except FileNotFoundError:
        raise MissingFileError(f"cannot read mask {path}: no such file") from None
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as e:
        if isinstance(e, BadSampleError):
            raise
        raise UnreadableFileError(f"cannot decode mask {path}: {e}") from None
    return labels.astype(np.uint8) if labels.dtype == bool else labels
