"""Where the FCN nets crop: Caffe's ``crop`` offsets, computed from the layers' geometry.

Every map is tied to the input ("data") by ``data = a * x + b``: pixel ``x`` of the map is centred on
input coordinate ``a * x + b``. Then

* a k x k conv of stride 1 and padding p moves the centre by ``(k - 1) / 2 - p`` pixels of its input;
* a 2x2 pool of stride 2: ``x_in = 2 * x + 1/2``;
* a deconvolution of stride s and kernel 2s: ``x_in = (x - (2s - 1) / 2) / s``;
* cropping map M to align with map T of the same scale starts at ``(b_T - b_M) / a``; cropping to the
  input itself at ``-b``.

With conv1_1's padding of 100 this gives the offsets of the authors' nets (and of Caffe's coord_map):
19 (FCN-32s), 5 and 27 (FCN-16s), 5, 9 and 31 (FCN-8s).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Dict, Tuple

Coord = Tuple[Fraction, Fraction]  # (a, b): data = a * x + b

FC6_KERNEL = 7


def pool_coord(k: int, first_padding: int) -> Coord:
    """poolK of VGG with 3x3/pad-1 convs except conv1_1 (pad ``first_padding``)."""
    a, b = Fraction(1), Fraction(1 - first_padding)  # conv1_1: 3x3, centre shift 1 - p; the others 0
    for _ in range(k):
        a, b = 2 * a, b + a * Fraction(1, 2)
    return a, b


def upsampled(coord: Coord, stride: int) -> Coord:
    a, b = coord
    a = a / stride
    return a, b - a * Fraction(2 * stride - 1, 2)


def _offset(value: Fraction, name: str, first_padding: int) -> int:
    if value.denominator != 1 or value < 0:
        raise ValueError(
            f"MODEL.VGG.FIRST_PADDING {first_padding} does not let the FCN align its {name}: the offset would be "
            f"{value} pixels; the FCN nets need a padding of at least 81 (the authors' 100)"
        )
    return int(value)


def crop_offsets(stride: int, first_padding: int) -> Dict[str, int]:
    """Offsets of the crops of FCN-``stride``s: "pool4" and "pool3" (of the score maps of pool4/pool3,
    aligned with the upsampled stream) and "input" (of the final upsampling, aligned with the image)."""
    a, b = pool_coord(5, first_padding)
    coord = (a, b + a * (FC6_KERNEL - 1) / 2)  # fc6: 7x7, no padding; fc7 and score_fr are 1x1
    offsets = {}
    for k in (4, 3)[: {32: 0, 16: 1, 8: 2}[stride]]:
        coord = upsampled(coord, 2)
        skip = pool_coord(k, first_padding)
        offsets[f"pool{k}"] = _offset((coord[1] - skip[1]) / coord[0], f"pool{k} scores", first_padding)
    coord = upsampled(coord, int(coord[0]))
    offsets["input"] = _offset(-coord[1], "output with the input", first_padding)
    return offsets
