"""DeepLabv3+'s decoder (Chen et al., ECCV 2018): ASPP output upsampled to the stride-4 feature, fused, classified."""
from __future__ import annotations

from typing import Dict

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct, SeparableConv2d

from .aspp_head import build_aspp


@HEAD_REGISTRY.register()
class DeepLabV3PlusHead(nn.Module):
    """``aspp`` on MODEL.HEAD.IN_FEATURE; ``low_level``: 1x1 conv-norm-ReLU of MODEL.DEEPLAB.LOW_LEVEL_FEATURE
    to LOW_LEVEL_CHANNELS (48); bilinear upsampling of the ASPP output to it (MODEL.ALIGN_CORNERS), concat
    [ASPP, low-level] (every reference's order), ``fuse``: two 3x3 conv-norm-ReLU (depthwise-separable with
    DECODER_SEPARABLE), ``dropout`` (MODEL.HEAD.DROPOUT) and the 1x1 ``classifier``."""

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        d = cfg.MODEL.DEEPLAB
        if d.LOW_LEVEL_FEATURE not in input_shape:
            raise ValueError(
                f"MODEL.DEEPLAB.LOW_LEVEL_FEATURE {d.LOW_LEVEL_FEATURE!r} is not among the backbone's features "
                f"{sorted(input_shape)}; add it to the backbone's OUT_FEATURES"
            )
        self.in_feature, self.low_level_feature = head_cfg.IN_FEATURE, d.LOW_LEVEL_FEATURE
        self.align_corners = cfg.MODEL.ALIGN_CORNERS
        channels, norm = head_cfg.CHANNELS, head_cfg.NORM
        self.aspp = build_aspp(cfg, head_cfg, input_shape[self.in_feature].channels)
        self.low_level = ConvNormAct(input_shape[self.low_level_feature].channels, d.LOW_LEVEL_CHANNELS, 1, norm=norm)
        fused_in = channels + d.LOW_LEVEL_CHANNELS
        if d.DECODER_SEPARABLE:
            convs = [SeparableConv2d(c, channels, 3, norm=norm, act_dw=True, act_pw=True) for c in (fused_in, channels)]
        else:
            convs = [ConvNormAct(c, channels, 3, norm=norm) for c in (fused_in, channels)]
        self.fuse = nn.Sequential(*convs)
        self.dropout = nn.Dropout2d(head_cfg.DROPOUT)
        self.classifier = nn.Conv2d(channels, cfg.MODEL.NUM_CLASSES, kernel_size=1)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        low = self.low_level(features[self.low_level_feature])
        x = self.aspp(features[self.in_feature])
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=self.align_corners)
        return self.classifier(self.dropout(self.fuse(torch.cat([x, low], dim=1))))
