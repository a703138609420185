"""The segmentation head of DDRNet and PIDNet: BN-ReLU-3x3 conv, BN, ReLU, (dropout,) 1x1 classifier.

mmsegmentation's ``DDRHead`` (``head`` / ``aux_head``) and ``BasePIDHead`` (``i_head``, ``p_head``,
``d_head``), the authors' ``segmenthead``; here each is one head of the composed model.
"""
from __future__ import annotations

from typing import Any, Dict

import torch
from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import get_norm

from ..layers import norm_act_conv


@HEAD_REGISTRY.register()
class PreActSegHead(nn.Module):
    """``conv`` (norm over the input, ReLU, 3x3 conv to ``channels``), ``norm``, ReLU, dropout, ``classifier``."""

    reads_one_map = True

    def __init__(self, in_feature: str, in_channels: int, channels: int, out_channels: int, norm: str = "BN",
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.in_feature = in_feature
        self.conv = norm_act_conv(in_channels, channels, 3, norm=norm)
        self.norm = get_norm(norm, channels)
        self.act = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, out_channels, kernel_size=1)

    @classmethod
    def from_config(cls, cfg: CfgNode, head_cfg: CfgNode, input_shape: Dict[str, ShapeSpec]) -> Dict[str, Any]:
        (feature,) = head_cfg.IN_FEATURES
        return dict(in_feature=feature, in_channels=input_shape[feature].channels, channels=head_cfg.CHANNELS,
                    out_channels=cfg.MODEL.NUM_CLASSES, norm=head_cfg.NORM, dropout=head_cfg.DROPOUT)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        x = self.act(self.norm(self.conv(features[self.in_feature])))
        return self.classifier(self.dropout(x))
