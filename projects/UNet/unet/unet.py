"""UNet (Ronneberger, Fischer, Brox, MICCAI 2015): an encoder, the expanding path, a classifier.

The composed model covers the three references by config (EncoderDecoder, MODEL.NECK.NAME "UNetDecoder"):
- the paper / milesial: backbone ``build_unet_encoder``, transposed-conv up-sampling, 1x1 head;
- mmsegmentation's S5-D16: the same encoder with bilinear+1x1 up-sampling, FCN head and aux head;
- segmentation_models_pytorch: any registry backbone (ResNet with "conv1"), nearest up-sampling,
  decoder channels (256, 128, 64, 32, 16), 3x3 head.
The paper's valid convolutions add a geometry of their own: ``OverlapTileUNet``.
"""
from __future__ import annotations

from typing import Dict, Tuple

import torch

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder
from seg_engine.modeling.losses import upsample_logits

from .layers import mirror_pad


def valid_sizes(min_output: int, depth: int, enc_convs: int, dec_convs: int) -> Tuple[int, int]:
    """(input, output) sides of the valid-conv U-Net with ``depth`` poolings whose output is the
    smallest one >= ``min_output`` (the paper: depth 4, 2 convs: input 572 -> output 388)."""
    bottom = 1
    while True:
        out = bottom
        for _ in range(depth):
            out = 2 * out - 2 * dec_convs
        if out >= min_output and out > 0:
            size = bottom + 2 * enc_convs
            for _ in range(depth):
                size = 2 * size + 2 * enc_convs
            return size, out
        bottom += 1


@META_ARCH_REGISTRY.register()
class OverlapTileUNet(EncoderDecoder):
    """The paper's U-Net with unpadded ("valid") convolutions (MODEL.UNET.PADDING "valid", the paper's encoder
    ``build_unet_encoder``): what it adds to EncoderDecoder is the geometry of valid convs. The input is
    mirror-padded so that the (smaller) output covers the image, its origin at the output's (0, 0); at test time
    with MODEL.UNET.TILE_SIZE the paper's overlap-tile strategy predicts output tiles from mirror-padded input
    tiles. U-Nets with padded convs are EncoderDecoder with the ``UNetDecoder`` neck.
    """

    def build_heads(self, cfg) -> None:
        u = cfg.MODEL.UNET
        if u.PADDING != "valid" or cfg.MODEL.BACKBONE.NAME != "build_unet_encoder":
            raise ValueError(
                "OverlapTileUNet is the U-Net of valid convolutions: it needs MODEL.UNET.PADDING 'valid' and "
                f"MODEL.BACKBONE.NAME 'build_unet_encoder', got {u.PADDING!r} and {cfg.MODEL.BACKBONE.NAME!r}"
            )
        super().build_heads(cfg)
        self.depth = len(u.IN_FEATURES) - 1
        self.enc_convs = cfg.MODEL.UNET_ENCODER.NUM_CONVS
        self.dec_convs = u.NUM_CONVS
        self.tile_size = tuple(u.TILE_SIZE)
        shapes = self.head_input_shape()
        self.output_strides = {"sem_seg": shapes[cfg.MODEL.HEAD.IN_FEATURES[0]].stride}
        for output, module in self.aux_outputs.items():
            node = cfg.MODEL[module.upper()]
            self.output_strides[output] = shapes[node.IN_FEATURES[0]].stride

    def _valid(self, side: int) -> Tuple[int, int]:
        return valid_sizes(side, self.depth, self.enc_convs, self.dec_convs)

    def segment(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Mirror-pad to the valid input size whose output covers the image, run, crop each output (brought to
        full resolution by its stride) to the image; with TILE_SIZE at test time, overlap-tile instead."""
        if not self.training and max(self.tile_size) > 0:
            return {"sem_seg": self.overlap_tile(images)}
        h, w = images.shape[-2:]
        padded, (top, left) = self.pad_images(images)
        outputs = self.decode(self.extract_features(padded))
        cropped = {}
        for name, logits in outputs.items():
            s = self.output_strides.get(name, 1)
            if s > 1:
                logits = upsample_logits(logits, (logits.shape[-2] * s, logits.shape[-1] * s), self.align_corners)
            cropped[name] = logits[..., top : top + h, left : left + w]
        return cropped

    def pad_images(self, images: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """The mirror-padded batch whose valid output covers the images, and where the images' origin lies in that
        output: (0, 0)."""
        h, w = images.shape[-2:]
        (ih, oh), (iw, ow) = (self._valid(s) for s in (h, w))
        top, left = (ih - oh) // 2, (iw - ow) // 2
        return mirror_pad(images, top, ih - h - top, left, iw - w - left), (0, 0)

    def overlap_tile(self, images: torch.Tensor) -> torch.Tensor:
        """The paper's overlap-tile strategy: output tiles of TILE_SIZE (rounded up to a valid output
        size), each predicted from its input tile of the mirror-padded image, stitched without overlap."""
        h, w = images.shape[-2:]
        (ith, oth), (itw, otw) = (self._valid(min(t, s)) for t, s in zip(self.tile_size, (h, w)))
        rows, cols = -(-h // oth), -(-w // otw)
        top, left = (ith - oth) // 2, (itw - otw) // 2
        padded = mirror_pad(images, top, rows * oth - h + ith - oth - top, left, cols * otw - w + itw - otw - left)
        out = None
        for r in range(rows):
            for c in range(cols):
                tile = padded[..., r * oth : r * oth + ith, c * otw : c * otw + itw]
                logits = self.decode(self.extract_features(tile))["sem_seg"]
                if out is None:
                    out = logits.new_zeros(logits.shape[0], logits.shape[1], rows * oth, cols * otw)
                out[..., r * oth : (r + 1) * oth, c * otw : (c + 1) * otw] = logits[..., :oth, :otw]
        return out[..., :h, :w]
