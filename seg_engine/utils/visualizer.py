"""Label maps as colours: a palette lookup and an overlay on the image."""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

# Pixels with the ignore label (or a label past the palette) in colour maps: white, which no built-in
# palette uses for a class, so they stand out in visualize_data's masks.
IGNORE_COLOUR: Tuple[int, int, int] = (255, 255, 255)


def palette_lut(palette: Sequence[Sequence[int]], ignore_colour: Sequence[int] = IGNORE_COLOUR) -> np.ndarray:
    """A 256 x 3 uint8 table: row k is the colour of label k, rows past the palette ``ignore_colour``."""
    lut = np.tile(np.asarray(ignore_colour, dtype=np.uint8), (256, 1))
    colours = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)[:256]
    lut[: len(colours)] = colours
    return lut


def colorize(labels: np.ndarray, palette: Sequence[Sequence[int]], ignore_label: int = 255,
             ignore_colour: Sequence[int] = IGNORE_COLOUR) -> np.ndarray:
    """H x W labels -> H x W x 3 uint8 colours; ``ignore_label`` (and labels past the palette) in ``ignore_colour``."""
    labels = np.asarray(labels)
    lut = palette_lut(palette, ignore_colour)
    if 0 <= ignore_label < 256:
        lut[ignore_label] = ignore_colour
    return lut[np.clip(labels, 0, 255).astype(np.uint8)]


def overlay(image: np.ndarray, labels: np.ndarray, palette: Sequence[Sequence[int]], opacity: float = 0.5,
            ignore_label: int = 255) -> np.ndarray:
    """The RGB ``image`` blended with the colours of ``labels`` (``opacity`` of the colours); ignored
    pixels keep the image's colour."""
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be in [0, 1], got {opacity}")
    image = np.asarray(image, dtype=np.uint8)
    if image.shape[:2] != np.shape(labels):
        raise ValueError(f"image of size {image.shape[:2]} and labels of size {np.shape(labels)} differ")
    colours = colorize(labels, palette, ignore_label).astype(np.float32)
    blended = image.astype(np.float32) * (1.0 - opacity) + colours * opacity
    blended = np.where((np.asarray(labels) == ignore_label)[..., None], image, np.rint(blended))
    return blended.astype(np.uint8)
