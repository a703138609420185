"""UNet (Ronneberger, Fischer, Brox, MICCAI 2015): an encoder, the expanding path, a classifier.

One meta-architecture covers the three references, by config:
- the paper / milesial: backbone ``build_unet_encoder``, transposed-conv up-sampling, 1x1 head;
- mmsegmentation's S5-D16: the same encoder with bilinear+1x1 up-sampling, FCN head and aux head;
- segmentation_models_pytorch: any registry backbone (ResNet with "conv1"), nearest up-sampling,
  decoder channels (256, 128, 64, 32, 16), 3x3 head.
"""
from __future__ import annotations

from typing import Dict, Tuple

import torch

from seg_engine.modeling import META_ARCH_REGISTRY
from seg_engine.modeling.heads import build_head

from .any_size import AnySizeEncoderDecoder
from .decoder import UNetDecoder
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
class UNet(AnySizeEncoderDecoder):
    """Backbone features MODEL.UNET.IN_FEATURES -> UNetDecoder -> MODEL.HEAD (+ MODEL.AUX_HEAD) on a
    decoder output ("up1" is full resolution). See MODEL.UNET for the switches."""

    def build_heads(self, cfg) -> None:
        u = cfg.MODEL.UNET
        in_shapes = self.decoder_inputs("MODEL.UNET.IN_FEATURES", u.IN_FEATURES)
        self.decoder = UNetDecoder(
            in_shapes, u.DECODER_CHANNELS, u.UPSAMPLE, u.FUSE, u.NUM_CONVS, u.NORM, u.PADDING, cfg.MODEL.ALIGN_CORNERS,
            u.MID_CHANNELS,
        )
        self.valid = u.PADDING == "valid"
        self.pad_input = u.PAD_INPUT
        self.input_multiple = in_shapes[-1].stride if u.PAD_INPUT else 1
        self.depth = len(self.in_features) - 1
        self.enc_convs = cfg.MODEL.UNET_ENCODER.NUM_CONVS
        self.dec_convs = u.NUM_CONVS
        self.tile_size = tuple(u.TILE_SIZE)
        if self.valid and cfg.MODEL.BACKBONE.NAME != "build_unet_encoder":
            raise ValueError(
                f"MODEL.UNET.PADDING 'valid' needs MODEL.BACKBONE.NAME 'build_unet_encoder', got {cfg.MODEL.BACKBONE.NAME!r}"
            )
        heads = self.decoder.output_shape()
        self.decode_head = build_head(cfg, cfg.MODEL.HEAD, heads)
        self.loss_weights = {"sem_seg": cfg.MODEL.HEAD.LOSS_WEIGHT}
        self.output_strides = {"sem_seg": heads[cfg.MODEL.HEAD.IN_FEATURE].stride}
        self.aux_head = None
        if cfg.MODEL.AUX_HEAD.ENABLED:
            self.aux_head = build_head(cfg, cfg.MODEL.AUX_HEAD, heads)
            self.loss_weights["aux"] = cfg.MODEL.AUX_HEAD.LOSS_WEIGHT
            self.output_strides["aux"] = heads[cfg.MODEL.AUX_HEAD.IN_FEATURE].stride

    def network(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        features = self.backbone(images)
        size = None if self.valid else images.shape[-2:]
        return self.decode(self.decoder([features[f] for f in self.in_features], size))

    def pad_images(self, images: torch.Tensor):
        """Valid convs: mirror-pad so that the output covers the image, its origin at (0, 0) of the output."""
        if not self.valid:
            return super().pad_images(images)
        (ih, oh), (iw, ow) = (self._valid(s) for s in images.shape[-2:])
        top, left = (ih - oh) // 2, (iw - ow) // 2
        h, w = images.shape[-2:]
        return mirror_pad(images, top, ih - h - top, left, iw - w - left), (0, 0)

    def _valid(self, side: int) -> Tuple[int, int]:
        return valid_sizes(side, self.depth, self.enc_convs, self.dec_convs)

    def segment(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        if self.valid and not self.training and max(self.tile_size) > 0:
            return {"sem_seg": self.overlap_tile(images)}
        return super().segment(images)

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
                logits = self.network(tile)["sem_seg"]
                if out is None:
                    out = logits.new_zeros(logits.shape[0], logits.shape[1], rows * oth, cols * otw)
                out[..., r * oth : (r + 1) * oth, c * otw : (c + 1) * otw] = logits[..., :oth, :otw]
        return out[..., :h, :w]
