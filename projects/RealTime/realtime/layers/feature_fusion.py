"""The feature fusion module (FFM) of BiSeNetV1 and STDC: the concatenated spatial and context maps through
a 1x1 conv-BN-ReLU, plus that output scaled by a channel attention of its global average.
"""
from __future__ import annotations

import torch
from torch import nn

from seg_engine.modeling.layers import ConvNormAct


class FeatureFusion(nn.Module):
    """``attention_reduction`` 0: BiSeNetV1's attention, one 1x1 conv-BN-ReLU (mmseg's; CoinCheung: conv-BN);
    r > 0: STDC's, 1x1 conv to channels / r, ReLU, 1x1 conv back, no norms, no biases."""

    def __init__(self, in_channels: int, out_channels: int, attention_reduction: int = 0, norm: str = "BN",
                 attention_act: bool = True) -> None:
        super().__init__()
        self.conv = ConvNormAct(in_channels, out_channels, 1, norm=norm)
        if attention_reduction:
            mid = out_channels // attention_reduction
            convs = [ConvNormAct(out_channels, mid, 1, norm="", bias=False),
                     ConvNormAct(mid, out_channels, 1, norm="", activation=False, bias=False)]
        else:
            convs = [ConvNormAct(out_channels, out_channels, 1, norm=norm, activation=attention_act, bias=False)]
        self.attention = nn.Sequential(nn.AdaptiveAvgPool2d(1), *convs, nn.Sigmoid())

    def forward(self, spatial: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        x = self.conv(torch.cat([spatial, context], dim=1))
        return x + x * self.attention(x)
