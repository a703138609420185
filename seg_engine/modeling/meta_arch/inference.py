"""Test-time protocols: the whole image or a sliding window, at several scales, with horizontal flips.

The functions take ``predict(images) -> logits``: normalized N x 3 x h x w images to N x C x h x w
logits at the same size, so that any model (and any test double) plugs in. The reference protocols:

* hszhao/semseg: long side 512, windows of 473 every 316 (2/3), flip, probabilities averaged over
  flips, windows and scales (0.5 .. 1.75 for multi-scale);
* PyTorch-Encoding: long side 520, windows of 480 every 320, scales 0.5 .. 1.75, flip; per scale the
  exp of the sum of the plain and flipped logits, summed over scales ("exp");
* mmsegmentation: fit in (2048, 512), the whole image; multi-scale: ratios 0.5 .. 1.75 and flip,
  probabilities averaged.

Here windows average logits (not probabilities) where they overlap, so a translation-equivariant model
gives the whole-image logits exactly; views (scales x flips) are aggregated after that.

For speed, the windows go through the model as batches of up to ``window_batch`` crops (the memory
budget: ``TEST.WINDOW_BATCH``), a flipped view goes in the same batch as its plain view, and scales that
give the same size are predicted once. Each crop's logits do not depend on the other crops of its batch
(eval mode), so the results equal the per-window loop's within floating-point tolerance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, List, Tuple

import torch
import torch.nn.functional as F

__all__ = ["Predictor", "InferenceProtocol", "protocol_scores", "slide_logits", "window_starts"]

Predictor = Callable[[torch.Tensor], torch.Tensor]

MODES = ("whole", "slide")
AGGREGATES = ("prob", "exp")


@dataclass(frozen=True)
class InferenceProtocol:
    """How one image is predicted (see ``TEST.*`` in the config defaults)."""

    mode: str = "whole"
    crop_size: Tuple[int, int] = (512, 512)
    stride: Tuple[int, int] = (341, 341)
    scales: Tuple[float, ...] = (1.0,)
    flip: bool = False
    aggregate: str = "prob"
    align_corners: bool = False
    window_batch: int = 1

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"TEST.MODE must be one of {MODES}, got {self.mode!r}")
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"TEST.AGGREGATE must be one of {AGGREGATES}, got {self.aggregate!r}")
        if not self.scales or min(self.scales) <= 0:
            raise ValueError(f"TEST.SCALES must be positive factors, got {self.scales}")
        if self.window_batch < 1:
            raise ValueError(f"TEST.WINDOW_BATCH must be at least 1, got {self.window_batch}")
        if self.mode == "slide":
            if min(self.crop_size) <= 0 or min(self.stride) <= 0:
                raise ValueError(f"TEST.CROP_SIZE {self.crop_size} and TEST.STRIDE {self.stride} must be positive")
            if any(s > c for s, c in zip(self.stride, self.crop_size)):
                raise ValueError(
                    f"TEST.STRIDE {self.stride} larger than TEST.CROP_SIZE {self.crop_size} leaves pixels unseen"
                )

    @classmethod
    def from_config(cls, cfg) -> "InferenceProtocol":
        t = cfg.TEST
        return cls(
            mode=t.MODE,
            crop_size=tuple(int(v) for v in t.CROP_SIZE),
            stride=tuple(int(v) for v in t.STRIDE),
            scales=tuple(float(s) for s in t.SCALES),
            flip=bool(t.FLIP),
            aggregate=t.AGGREGATE,
            align_corners=cfg.MODEL.ALIGN_CORNERS,
            window_batch=int(t.WINDOW_BATCH),
        )

    @property
    def single_pass(self) -> bool:
        """The whole image once: the fast path, which batches images of different sizes."""
        return self.mode == "whole" and self.scales == (1.0,) and not self.flip


def window_starts(size: int, crop: int, stride: int) -> List[int]:
    """Offsets of the windows along one side: every ``stride``, the last window moved back to end at the
    border instead of running past it (one window at 0 when the side is no longer than ``crop``)."""
    count = max(math.ceil((size - crop) / stride), 0) + 1
    return [max(0, min(i * stride, size - crop)) for i in range(count)]


def slide_logits(
    predict: Predictor,
    images: torch.Tensor,
    crop_size: Tuple[int, int],
    stride: Tuple[int, int],
    window_batch: int = 1,
) -> torch.Tensor:
    """Logits of N x 3 x H x W normalized images from ``crop_size`` windows every ``stride``.

    Images smaller than a window are padded at the bottom/right with 0 (the mean, once normalized) up to
    it; logits are averaged where windows overlap, then cropped back to H x W. Each call of ``predict``
    takes the crops of ``max(1, window_batch // N)`` windows of all N images (window-major), so
    ``window_batch`` bounds the model's batch (unless N alone exceeds it).
    """
    n = images.shape[0]
    h, w = images.shape[-2:]
    ch, cw = crop_size
    ph, pw = max(h, ch), max(w, cw)
    if (ph, pw) != (h, w):
        images = F.pad(images, (0, pw - w, 0, ph - h))
    windows = [(y, x) for y in window_starts(ph, ch, stride[0]) for x in window_starts(pw, cw, stride[1])]
    per_call = max(1, window_batch // n)
    total = None
    count = images.new_zeros(1, 1, ph, pw)
    for first in range(0, len(windows), per_call):
        chunk = windows[first : first + per_call]
        crops = [images[:, :, y : y + ch, x : x + cw] for y, x in chunk]
        out = predict(crops[0] if len(crops) == 1 else torch.cat(crops))
        if total is None:
            total = images.new_zeros(n, out.shape[1], ph, pw)
        for j, (y, x) in enumerate(chunk):
            total[:, :, y : y + ch, x : x + cw] += out[j * n : (j + 1) * n]
            count[:, :, y : y + ch, x : x + cw] += 1
    return (total / count)[:, :, :h, :w]


def _view_logits(predict: Predictor, images: torch.Tensor, protocol: InferenceProtocol) -> torch.Tensor:
    if protocol.mode == "slide":
        return slide_logits(predict, images, protocol.crop_size, protocol.stride, protocol.window_batch)
    return predict(images)


def _scale_views(predict: Predictor, scaled: torch.Tensor, protocol: InferenceProtocol) -> List[torch.Tensor]:
    """The logits of the plain view and, with flip, of the flipped view flipped back: one batch."""
    if not protocol.flip:
        return [_view_logits(predict, scaled, protocol)]
    n = scaled.shape[0]
    both = _view_logits(predict, torch.cat([scaled, scaled.flip(-1)]), protocol)
    return [both[:n], both[n:].flip(-1)]


def protocol_scores(predict: Predictor, images: torch.Tensor, protocol: InferenceProtocol) -> torch.Tensor:
    """N x C x H x W scores of N x 3 x H x W normalized images under ``protocol``; argmax is the prediction.

    With one view (one scale, no flip) the scores are the logits. Otherwise each scale resizes the images
    (bilinear) by its factor, the flipped view is predicted and flipped back, and the views combine as
    ``protocol.aggregate`` says: "prob", the mean of the softmax probabilities over all views; "exp",
    over scales the sum of exp(logits + flipped logits) (PyTorch-Encoding). Per-scale scores are resized
    back to H x W before they are combined.
    """
    h, w = images.shape[-2:]
    single_view = protocol.scales == (1.0,) and not protocol.flip
    if single_view:
        return _view_logits(predict, images, protocol)
    total = None
    scores_by_size = {}  # scales that round to the same size see the same image: predicted once
    for scale in protocol.scales:
        size = (max(1, int(h * scale + 0.5)), max(1, int(w * scale + 0.5)))
        if size not in scores_by_size:
            scaled = images if size == (h, w) else F.interpolate(images, size=size, mode="bilinear", align_corners=False)
            views = _scale_views(predict, scaled, protocol)
            if protocol.aggregate == "prob":
                score = sum(v.softmax(dim=1) for v in views) / len(views)
            else:
                score = torch.exp(sum(views))
            if size != (h, w):
                score = F.interpolate(score, size=(h, w), mode="bilinear", align_corners=protocol.align_corners)
            scores_by_size[size] = score
        score = scores_by_size[size]
        total = score if total is None else total + score
    return total / len(protocol.scales) if protocol.aggregate == "prob" else total
