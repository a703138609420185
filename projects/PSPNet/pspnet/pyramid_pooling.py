"""The pyramid pooling module: pooled context at several grid sizes, concatenated to the input."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling.layers import ConvNormAct, exportable_adaptive_avg_pool2d


class PyramidPooling(nn.Module):
    """``[x, up(branch_1(x)), ..., up(branch_k(x))]`` along channels.

    Each branch is adaptive average pooling to ``bin x bin``, then a 1x1 conv-norm-ReLU to
    ``reduction_channels``; ``up`` is bilinear back to the input's size. The output has
    ``in_channels + len(bins) * reduction_channels`` channels (``out_channels``). Under torch.export the
    pooling is :func:`exportable_adaptive_avg_pool2d`, so the graph stays right at any input size.
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
            nn.Sequential(nn.AdaptiveAvgPool2d(b), ConvNormAct(in_channels, reduction_channels, 1, norm=norm))
            for b in bins
        )
        self.out_channels = in_channels + len(bins) * reduction_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        pooled = [
            F.interpolate(conv(exportable_adaptive_avg_pool2d(x, pool.output_size)), size=size, mode="bilinear",
                          align_corners=self.align_corners)
            for pool, conv in self.branches
        ]
        return torch.cat([x, *pooled], dim=1)
