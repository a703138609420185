"""BiSeNetV2's semantic branch: a stem block, gather-and-expansion layers and a context embedding block
(the paper's Fig. 3-5), as mmsegmentation 1.2.2's ``SemanticBranch`` (ReLUs the paper does not show included)."""
from __future__ import annotations

from typing import List, Sequence

import torch
from torch import nn

from seg_engine.modeling.layers import ConvNormAct, get_norm


class StemBlock(nn.Module):
    """3x3/2 conv, then [1x1 -> 3x3/2] beside a 3x3/2 max pool, concatenated and fused by a 3x3 conv: stride 4."""

    def __init__(self, in_channels: int, out_channels: int, norm: str = "BN") -> None:
        super().__init__()
        self.conv_first = ConvNormAct(in_channels, out_channels, 3, 2, norm=norm)
        self.convs = nn.Sequential(ConvNormAct(out_channels, out_channels // 2, 1, norm=norm),
                                   ConvNormAct(out_channels // 2, out_channels, 3, 2, norm=norm))
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.fuse_last = ConvNormAct(2 * out_channels, out_channels, 3, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_first(x)
        return self.fuse_last(torch.cat([self.convs(x), self.pool(x)], dim=1))


class GELayer(nn.Module):
    """Gather-and-expansion: 3x3 conv, depthwise 3x3 expanding ``exp_ratio`` times (stride 2: a strided
    depthwise conv then another, the shortcut a depthwise-separable conv), 1x1 projection, residual, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, exp_ratio: int = 6, stride: int = 1, norm: str = "BN") -> None:
        super().__init__()
        mid = in_channels * exp_ratio
        self.conv1 = ConvNormAct(in_channels, in_channels, 3, norm=norm)
        if stride == 1:
            self.dwconv = nn.Sequential(ConvNormAct(in_channels, mid, 3, groups=in_channels, norm=norm))
            self.shortcut = None
        else:
            self.dwconv = nn.Sequential(
                ConvNormAct(in_channels, mid, 3, 2, groups=in_channels, norm=norm, activation=False),
                ConvNormAct(mid, mid, 3, groups=mid, norm=norm),
            )
            self.shortcut = nn.Sequential(
                ConvNormAct(in_channels, in_channels, 3, 2, groups=in_channels, norm=norm, activation=False),
                ConvNormAct(in_channels, out_channels, 1, norm=norm, activation=False),
            )
        self.conv2 = ConvNormAct(mid, out_channels, 1, norm=norm, activation=False)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.act(self.conv2(self.dwconv(self.conv1(x))) + identity)


class CEBlock(nn.Module):
    """Context embedding: BN of the global average, 1x1 conv-BN-ReLU, added to the input, 3x3 conv-BN-ReLU."""

    def __init__(self, channels: int, norm: str = "BN") -> None:
        super().__init__()
        self.gap = nn.Sequential(nn.AdaptiveAvgPool2d(1), get_norm(norm, channels))
        self.conv_gap = ConvNormAct(channels, channels, 1, norm=norm)
        self.conv_last = ConvNormAct(channels, channels, 3, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_last(x + self.conv_gap(self.gap(x)))


class SemanticBranch(nn.Module):
    """``stages.0`` the stem (stride 4), ``stages.1..3`` GE layers (strides 8, 16, 32; the last of four
    layers), ``ce`` the context embedding. Returns the five maps: stage outputs and the embedding."""

    def __init__(self, channels: Sequence[int] = (16, 32, 64, 128), exp_ratio: int = 6, norm: str = "BN") -> None:
        super().__init__()
        if len(channels) != 4:
            raise ValueError(f"MODEL.BISENETV2.SEMANTIC_CHANNELS must have 4 widths, got {list(channels)!r}")
        stages = [StemBlock(3, channels[0], norm)]
        for i in range(1, 4):
            layers = [GELayer(channels[i - 1], channels[i], exp_ratio, 2, norm)]
            layers += [GELayer(channels[i], channels[i], exp_ratio, 1, norm) for _ in range(3 if i == 3 else 1)]
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)
        self.ce = CEBlock(channels[3], norm)

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        outs.append(self.ce(x))
        return outs
