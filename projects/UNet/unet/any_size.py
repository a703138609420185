"""AnySizeEncoderDecoder: any H x W in, logits of H x W out, for networks that need a multiple of 2^depth."""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F

from seg_engine.modeling import EncoderDecoder
from seg_engine.modeling.losses import upsample_logits


class AnySizeEncoderDecoder(EncoderDecoder):
    """EncoderDecoder whose ``segment`` pads the batch to ``self.input_multiple`` (bottom/right, zeros:
    the normalized mean), runs the network and crops every output back to the batch's size.

    The crop happens before the loss, so padded pixels never count; the training targets are the
    batch's own (padded by EncoderDecoder to MODEL.SIZE_DIVISIBILITY with the ignore value).
    Subclasses set ``input_multiple`` (1: no padding) and ``output_strides`` (output name -> stride
    of its logits) in ``build_heads`` and implement ``network(images) -> {name: logits}``.
    """

    input_multiple: int = 1
    output_strides: Dict[str, int]

    def decoder_inputs(self, key: str, features: Sequence[str]) -> List:
        """Set ``self.in_features`` to ``features`` (config key ``key``) and return their ShapeSpecs,
        refusing fewer than two or a name the backbone does not give."""
        shapes = self.backbone.output_shape()
        if len(features) < 2 or any(f not in shapes for f in features):
            raise ValueError(
                f"{key} must name two or more backbone features among {sorted(shapes)}, got {list(features)!r}"
            )
        self.in_features = list(features)
        return [shapes[f] for f in self.in_features]

    def network(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError

    def pad_images(self, images: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """The padded batch and the (top, left) position of the image's origin in the network's output."""
        h, w = images.shape[-2:]
        m = self.input_multiple
        ph, pw = -h % m, -w % m
        if ph or pw:
            images = F.pad(images, (0, pw, 0, ph))
        return images, (0, 0)

    def segment(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        h, w = images.shape[-2:]
        padded, (top, left) = self.pad_images(images)
        outputs = self.network(padded)
        cropped = {}
        for name, logits in outputs.items():
            s = self.output_strides.get(name, 1)
            if s > 1:
                logits = upsample_logits(logits, (logits.shape[-2] * s, logits.shape[-1] * s), self.align_corners)
            cropped[name] = logits[..., top : top + h, left : left + w]
        return cropped
