"""The pyramid pooling module: pooled context at several grid sizes, concatenated to the input."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling.layers import ConvNormAct, ExportableAdaptiveAvgPool2d


class PyramidPooling(nn.Module):
    """``[x, up(branch_1(x)), ..., up(branch_k(x))]`` along channels.

    Each branch is adaptive average pooling to ``bin x bin``, then a 1x1 conv-norm-ReLU to
    ``reduction_channels``; ``up`` is bilinear back to the input's size. The output has
    ``in_channels + len(bins) * reduction_channels`` channels (``out_channels``). The pooling exports
    with a dynamic input size (:class:`ExportableAdaptiveAvgPool2d`).
    """

    def __init__(
        self,
        in_channels: int,
        reduction_channels: int,
        bins: Sequence[int],
        norm: str = "BN",
        align_corners: bool = True,
    ) -> None:
        super().__init__()
        self.align_corners = align_corners
        self.branches = nn.ModuleList(
            nn.Sequential(ExportableAdaptiveAvgPool2d(b), ConvNormAct(in_channels, reduction_channels, 1, norm=norm))
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
