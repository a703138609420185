"""The pyramid pooling module of PSPNet, also UPerNet's context branch: pooled context at several grid
sizes, up-sampled and concatenated to the input."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .conv_norm_act import ConvNormAct


class PyramidPooling(nn.Module):
    """``[x, up(branch_1(x)), ..., up(branch_k(x))]`` along channels.

    Each branch (``branches.<i>``) is adaptive average pooling to ``bin x bin``, then a 1x1
    conv-norm-ReLU to ``reduction_channels``; ``up`` is bilinear back to the input's size. The output
    has ``in_channels + len(bins) * reduction_channels`` channels (``out_channels``). The same layout
    as PSPNet's copy in projects/PSPNet, so that one can switch to this file without a key change.
    """

    def __init__(
        self,
        in_channels: int,
        reduction_channels: int,
        bins: Sequence[int],
        norm: str = "BN",
        align_corners: bool = False,
    ) -> None:
        super().__init__()
        if not bins or min(bins) < 1:
            raise ValueError(f"pyramid pooling needs positive grid sizes, got {tuple(bins)!r}")
        self.align_corners = align_corners
        self.branches = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), ConvNormAct(in_channels, reduction_channels, 1, norm=norm))
            for b in bins
        )
        self.out_channels = in_channels + len(bins) * reduction_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        pooled = [
            F.interpolate(branch(x), size=size, mode="bilinear", align_corners=self.align_corners)
            for branch in self.branches
        ]
        return torch.cat([x, *pooled], dim=1)
