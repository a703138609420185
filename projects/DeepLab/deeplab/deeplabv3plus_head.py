"""DeepLabv3+'s decoder (Chen et al., ECCV 2018): ASPP output upsampled to the stride-4 feature, fused, classified."""
from __future__ import annotations

from typing import Dict

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct, SeparableConv2d

from .aspp import ASPP
from .aspp_head import aspp_arguments


@HEAD_REGISTRY.register()
class DeepLabV3PlusHead(nn.Module):
    """``aspp`` on ``in_feature``; ``low_level``: 1x1 conv-norm-ReLU of ``low_level_feature`` (stride 4) to
    ``low_level_channels`` (48); bilinear upsampling of the ASPP output to it, concat [ASPP, low-level] (every
    reference's order), ``fuse``: two 3x3 conv-norm-ReLU (depthwise-separable with ``separable``), ``dropout`` and
    the 1x1 ``classifier``."""

    reads_one_map = True

    def __init__(
        self, in_feature: str, aspp: dict, low_level_feature: str, low_level_in_channels: int, num_classes: int,
        low_level_channels: int = 48, separable: bool = False, dropout: float = 0.1, align_corners: bool = False,
    ) -> None:
        """``aspp``: the :class:`ASPP`'s arguments (its ``channels`` and ``norm`` are the decoder's too)."""
        super().__init__()
        self.in_feature, self.low_level_feature = in_feature, low_level_feature
        self.align_corners = align_corners
        channels, norm = aspp["channels"], aspp["norm"]
        self.aspp = ASPP(**aspp)
        self.low_level = ConvNormAct(low_level_in_channels, low_level_channels, 1, norm=norm)
        fused_in = channels + low_level_channels
        if separable:
            convs = [SeparableConv2d(c, channels, 3, norm=norm, act_dw=True, act_pw=True) for c in (fused_in, channels)]
        else:
            convs = [ConvNormAct(c, channels, 3, norm=norm) for c in (fused_in, channels)]
        self.fuse = nn.Sequential(*convs)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, kernel_size=1)

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """The head node reads the ASPP's map (IN_FEATURES); MODEL.DEEPLAB names the low-level map and its width."""
        d = cfg.MODEL.DEEPLAB
        if d.LOW_LEVEL_FEATURE not in input_shape:
            raise ValueError(
                f"MODEL.DEEPLAB.LOW_LEVEL_FEATURE {d.LOW_LEVEL_FEATURE!r} is not among the backbone's features "
                f"{sorted(input_shape)}; add it to the backbone's OUT_FEATURES"
            )
        (feature,) = head_cfg.IN_FEATURES
        return dict(
            in_feature=feature, aspp=aspp_arguments(cfg, head_cfg, input_shape[feature].channels),
            low_level_feature=d.LOW_LEVEL_FEATURE, low_level_in_channels=input_shape[d.LOW_LEVEL_FEATURE].channels,
            num_classes=cfg.MODEL.NUM_CLASSES, low_level_channels=d.LOW_LEVEL_CHANNELS,
            separable=d.DECODER_SEPARABLE, dropout=head_cfg.DROPOUT, align_corners=cfg.MODEL.ALIGN_CORNERS,
        )

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        low = self.low_level(features[self.low_level_feature])
        x = self.aspp(features[self.in_feature])
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=self.align_corners)
        return self.classifier(self.dropout(self.fuse(torch.cat([x, low], dim=1))))
