"""The pyramid pooling module (PSPNet's, also UPerNet's context branch): pooled context at several grid
sizes, up-sampled and concatenated to the input."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .adaptive_pool import exportable_adaptive_avg_pool2d
from .conv_norm_act import ConvNormAct


class PyramidPooling(nn.Module):
    """``[x, up(branch_1(x)), ..., up(branch_k(x))]`` along channels.

    Each branch (``branches.<i>``) is adaptive average pooling to ``bin x bin``, then a 1x1
    conv-norm-ReLU to ``reduction_channels``; ``up`` is bilinear back to the input's size. The output
    has ``in_channels + len(bins) * reduction_channels`` channels (``out_channels``). Under torch.export
    the pooling is :func:`exportable_adaptive_avg_pool2d`, so a dynamic-size export stays right at any
    input size; the module tree keeps ``nn.AdaptiveAvgPool2d`` (the state-dict keys and printed model do
    not change).
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
            F.interpolate(conv(exportable_adaptive_avg_pool2d(x, pool.output_size)), size=size, mode="bilinear",
                          align_corners=self.align_corners)
            for pool, conv in self.branches
        ]
        return torch.cat([x, *pooled], dim=1)
