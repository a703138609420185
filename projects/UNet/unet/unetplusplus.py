"""UNet++ (Zhou et al., DLMIA 2018 / TMI 2020): an encoder, nested dense skip pathways, deep supervision."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from seg_engine.modeling import META_ARCH_REGISTRY
from seg_engine.modeling.heads import build_head

from .any_size import AnySizeEncoderDecoder
from .nested_decoder import NestedDecoder

DEEP_SUPERVISION_MODES = ("none", "accurate", "fast")


@META_ARCH_REGISTRY.register()
class UNetPlusPlus(AnySizeEncoderDecoder):
    """Backbone features MODEL.UNET.IN_FEATURES -> NestedDecoder -> heads.

    Without deep supervision MODEL.HEAD reads the decoder's last output (smp's UnetPlusPlus). With it,
    ``ds_heads.{j-1}`` (1x1 convs) read X(0, j), j = 1..D; the training loss is the mean of their
    losses; inference averages them ("accurate") or uses X(0, PRUNE_COLUMN) alone ("fast").
    """

    def build_heads(self, cfg) -> None:
        u, p = cfg.MODEL.UNET, cfg.MODEL.UNETPP
        if u.UPSAMPLE != "nearest":
            raise ValueError(f"UNetPlusPlus up-samples with MODEL.UNET.UPSAMPLE 'nearest', got {u.UPSAMPLE!r}")
        if p.DEEP_SUPERVISION not in DEEP_SUPERVISION_MODES:
            raise ValueError(
                f"MODEL.UNETPP.DEEP_SUPERVISION must be one of {DEEP_SUPERVISION_MODES}, got {p.DEEP_SUPERVISION!r}"
            )
        in_shapes = self.decoder_inputs("MODEL.UNET.IN_FEATURES", u.IN_FEATURES)
        channels = list(u.DECODER_CHANNELS)
        if p.DEEP_SUPERVISION != "none":
            channels = channels[: len(in_shapes) - 1]  # the heads read X(0, j): no skip-less blocks after them
        self.decoder = NestedDecoder(in_shapes, channels, p.WIDTHS, u.UPSAMPLE, u.NUM_CONVS, u.NORM, cfg.MODEL.ALIGN_CORNERS)
        depth = self.decoder.depth
        if not 1 <= p.PRUNE_COLUMN <= depth:
            raise ValueError(f"MODEL.UNETPP.PRUNE_COLUMN must be in 1..{depth}, got {p.PRUNE_COLUMN!r}")
        self.input_multiple = in_shapes[-1].stride if u.PAD_INPUT else 1
        self.deep_supervision = p.DEEP_SUPERVISION
        self.prune_column = p.PRUNE_COLUMN
        decoder_shapes = self.decoder.output_shape()
        self.aux_head = None
        if self.deep_supervision == "none":
            self.decode_head = build_head(cfg, cfg.MODEL.HEAD, decoder_shapes)
            self.loss_weights = {"sem_seg": cfg.MODEL.HEAD.LOSS_WEIGHT}
            self.output_strides = {"sem_seg": decoder_shapes[cfg.MODEL.HEAD.IN_FEATURE].stride}
            return
        self.decode_head = None
        self.ds_heads = nn.ModuleList(
            nn.Conv2d(decoder_shapes[f"x_0_{j}"].channels, cfg.MODEL.NUM_CLASSES, 1) for j in range(1, depth + 1)
        )
        stride = decoder_shapes["x_0_1"].stride
        self.loss_weights = {f"ds{j}": cfg.MODEL.HEAD.LOSS_WEIGHT / depth for j in range(1, depth + 1)}
        self.output_strides = {name: stride for name in list(self.loss_weights) + ["sem_seg"]}

    def network(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        features = self.backbone(images)
        features = [features[f] for f in self.in_features]
        size = images.shape[-2:]
        if self.deep_supervision == "none":
            return {"sem_seg": self.decode_head(self.decoder(features, size))}
        if self.deep_supervision == "fast" and not self.training:
            x = self.decoder(features, size, columns=self.prune_column)[f"x_0_{self.prune_column}"]
            return {"sem_seg": self.ds_heads[self.prune_column - 1](x)}
        nodes = self.decoder(features, size)
        logits = {f"ds{j + 1}": head(nodes[f"x_0_{j + 1}"]) for j, head in enumerate(self.ds_heads)}
        if self.training:
            return logits
        return {"sem_seg": torch.stack(list(logits.values())).mean(0)}
