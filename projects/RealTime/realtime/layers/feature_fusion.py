"""The feature fusion module (FFM) of BiSeNetV1 and STDC: the concatenated spatial and context maps through
a 1x1 conv-BN-ReLU, plus that output scaled by a channel attention of its global average.
"""
from __future__ import annotations

import torch
from torch import nn

from .conv import conv_norm_act


class FeatureFusion(nn.Module):
    """``attention_reduction`` 0: BiSeNetV1's attention, one 1x1 conv-BN-ReLU (mmseg's; CoinCheung: conv-BN);
    r > 0: STDC's, 1x1 conv to channels / r, ReLU, 1x1 conv back, no norms, no biases."""

    def __init__(self, in_channels: int, out_channels: int, attention_reduction: int = 0, norm: str = "BN",
                 attention_act: bool = True) -> None:
        super().__init__()
        self.conv = conv_norm_act(in_channels, out_channels, 1, norm=norm)
        if attention_reduction:
            mid = out_channels // attention_reduction
            convs = [conv_norm_act(out_channels, mid, 1, norm="", bias=False),
                     conv_norm_act(mid, out_channels, 1, norm="", act=False, bias=False)]
        else:
            convs = [conv_norm_act(out_channels, out_channels, 1, norm=norm, act=attention_act, bias=False)]
        self.attention = nn.Sequential(nn.AdaptiveAvgPool2d(1), *convs, nn.Sigmoid())

    def forward(self, spatial: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        x = self.conv(torch.cat([spatial, context], dim=1))
        return x + x * self.attention(x)
