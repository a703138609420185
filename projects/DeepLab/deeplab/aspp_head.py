"""ASPPHead: DeepLabv3's decode head, the ASPP, optionally torchvision's 3x3 conv, dropout and a classifier."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from .aspp import ASPP


def build_aspp(cfg, head_cfg, in_channels: int) -> ASPP:
    """The ASPP of MODEL.ASPP, as wide as MODEL.HEAD.CHANNELS, normalized by MODEL.HEAD.NORM."""
    a = cfg.MODEL.ASPP
    return ASPP(
        in_channels, head_cfg.CHANNELS, tuple(a.RATES), head_cfg.NORM, a.POOL_POSITION, a.POOL_NORM,
        a.PROJECT_KERNEL, a.DROPOUT, a.SEPARABLE,
    )


@HEAD_REGISTRY.register()
class ASPPHead(nn.Module):
    """``aspp`` -> ``post_conv`` (3x3 conv-norm-ReLU with MODEL.DEEPLAB.POST_ASPP_CONV, torchvision's
    DeepLabHead; else an Identity) -> ``dropout`` (MODEL.HEAD.DROPOUT) -> 1x1 ``classifier``."""

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        self.in_feature = head_cfg.IN_FEATURE
        channels = head_cfg.CHANNELS
        self.aspp = build_aspp(cfg, head_cfg, input_shape[self.in_feature].channels)
        post = cfg.MODEL.DEEPLAB.POST_ASPP_CONV
        self.post_conv = ConvNormAct(channels, channels, 3, norm=head_cfg.NORM) if post else nn.Identity()
        self.dropout = nn.Dropout2d(head_cfg.DROPOUT)
        self.classifier = nn.Conv2d(channels, cfg.MODEL.NUM_CLASSES, kernel_size=1)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.dropout(self.post_conv(self.aspp(features[self.in_feature]))))
