"""BiSeNet's attention refinement module (ARM), also STDC's: a 3x3 conv-BN-ReLU whose output is scaled
per channel by sigmoid(BN(1x1 conv(global average))).
"""
from __future__ import annotations

import torch
from torch import nn

from seg_engine.modeling.layers import ConvNormAct


class AttentionRefinement(nn.Module):
    """``conv`` then ``attention`` (pool, 1x1 conv without bias, norm, sigmoid)."""

    def __init__(self, in_channels: int, out_channels: int, norm: str = "BN") -> None:
        super().__init__()
        self.conv = ConvNormAct(in_channels, out_channels, 3, norm=norm)
        self.attention = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), ConvNormAct(out_channels, out_channels, 1, norm=norm, activation=False, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return x * self.attention(x)
