"""The FCN head: a few conv-norm-ReLU layers, dropout and a 1x1 classifier on one feature map."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from ..backbone.backbone import ShapeSpec
from ..layers import ConvNormAct
from ..registry import HEAD_REGISTRY


@HEAD_REGISTRY.register()
class FCNHead(nn.Module):
    """``head_cfg`` is MODEL.HEAD or MODEL.AUX_HEAD: IN_FEATURE, CHANNELS, NUM_CONVS, NORM, DROPOUT."""

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        self.in_feature = head_cfg.IN_FEATURE
        in_channels = input_shape[self.in_feature].channels
        layers = []
        for i in range(head_cfg.NUM_CONVS):
            layers.append(ConvNormAct(in_channels if i == 0 else head_cfg.CHANNELS, head_cfg.CHANNELS, 3, norm=head_cfg.NORM))
        self.convs = nn.Sequential(*layers)
        width = head_cfg.CHANNELS if head_cfg.NUM_CONVS else in_channels
        self.dropout = nn.Dropout2d(head_cfg.DROPOUT)
        self.classifier = nn.Conv2d(width, cfg.MODEL.NUM_CLASSES, kernel_size=1)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.dropout(self.convs(features[self.in_feature])))
