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
    """``head_cfg`` is MODEL.HEAD or MODEL.AUX_HEAD: IN_FEATURE, CHANNELS, NUM_CONVS, NORM, DROPOUT and
    CONCAT_INPUT: mmsegmentation's ``concat_input``, a 3x3 conv-norm-ReLU (``conv_cat``) over the input
    concatenated with the convs' output, before the dropout and classifier (its fcn_r50-d8)."""

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        self.in_feature = head_cfg.IN_FEATURE
        in_channels = input_shape[self.in_feature].channels
        layers = []
        for i in range(head_cfg.NUM_CONVS):
            layers.append(ConvNormAct(in_channels if i == 0 else head_cfg.CHANNELS, head_cfg.CHANNELS, 3, norm=head_cfg.NORM))
        self.convs = nn.Sequential(*layers)
        width = head_cfg.CHANNELS if head_cfg.NUM_CONVS else in_channels
        self.conv_cat = None
        if head_cfg.get("CONCAT_INPUT", False):
            self.conv_cat = ConvNormAct(in_channels + width, head_cfg.CHANNELS, 3, norm=head_cfg.NORM)
            width = head_cfg.CHANNELS
        self.dropout = nn.Dropout2d(head_cfg.DROPOUT)
        self.classifier = nn.Conv2d(width, cfg.MODEL.NUM_CLASSES, kernel_size=1)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        x = features[self.in_feature]
        y = self.convs(x)
        if self.conv_cat is not None:
            y = self.conv_cat(torch.cat([x, y], dim=1))
        return self.classifier(self.dropout(y))
