"""STDC's detail head: an FCN head with 2 outputs trained on Laplacian edges of the targets (training only)."""
from __future__ import annotations

from typing import Any, Dict

import torch
from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct
from seg_engine.modeling.losses import upsample_logits

from ..losses import detail_losses, detail_targets


@HEAD_REGISTRY.register()
class DetailHead(nn.Module):
    """The layout of the core FCNHead (``convs``, ``classifier``) with ``out_channels`` 2 (mmseg's STDCHead:
    edge / not edge as two sigmoid outputs); ``losses``: BCE + Dice against ``detail_targets``."""

    reads_one_map = True

    def __init__(self, in_feature: str, in_channels: int, channels: int, num_convs: int = 1, norm: str = "BN",
                 dropout: float = 0.1, out_channels: int = 2, threshold: float = 0.1, align_corners: bool = True) -> None:
        super().__init__()
        self.in_feature, self.threshold, self.align_corners = in_feature, threshold, align_corners
        self.convs = nn.Sequential(*[ConvNormAct(in_channels if i == 0 else channels, channels, 3, norm=norm)
                                     for i in range(num_convs)])
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels if num_convs else in_channels, out_channels, kernel_size=1)

    @classmethod
    def from_config(cls, cfg: CfgNode, head_cfg: CfgNode, input_shape: Dict[str, ShapeSpec]) -> Dict[str, Any]:
        (feature,) = head_cfg.IN_FEATURES
        return dict(in_feature=feature, in_channels=input_shape[feature].channels, channels=head_cfg.CHANNELS,
                    num_convs=head_cfg.NUM_CONVS, norm=head_cfg.NORM, dropout=head_cfg.DROPOUT,
                    threshold=cfg.MODEL.REALTIME.DETAIL.THRESHOLD, align_corners=cfg.MODEL.ALIGN_CORNERS)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.dropout(self.convs(features[self.in_feature])))

    def losses(self, logits: torch.Tensor, targets: torch.Tensor) -> Dict[str, torch.Tensor]:
        logits = upsample_logits(logits, targets.shape[-2:], self.align_corners)
        return detail_losses(logits, detail_targets(targets, self.threshold))
