"""DDRNet's deep aggregation pyramid pooling (DAPPM) and PIDNet's parallel variant (PAPPM).

Branches: the input, three average poolings (kernels 5/9/17, strides 2/4/8) and a global pooling, each
norm-ReLU-1x1 conv to ``branch_channels``; every pooled branch is resized back (bilinear) and added to the
previous branch's output (DAPPM: hierarchically, each then a norm-ReLU-3x3 conv) or to the first branch
(PAPPM: then one grouped 3x3 conv over the four); the concatenation is compressed to ``out_channels`` and
a 1x1 shortcut of the input is added. Pre-activation convs throughout and align_corners False, as both
references.
"""
from __future__ import annotations

from typing import List, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .conv import norm_act_conv

POOLS = ((5, 2, 2), (9, 4, 4), (17, 8, 8))  # kernel, stride, padding of the three local poolings


def _pooled_branches(in_channels: int, branch_channels: int, norm: str, pools: Sequence[tuple]) -> nn.ModuleList:
    branches = [norm_act_conv(in_channels, branch_channels, norm=norm)]
    for kernel, stride, padding in pools:
        branches.append(nn.Sequential(nn.AvgPool2d(kernel, stride, padding), norm_act_conv(in_channels, branch_channels, norm=norm)))
    branches.append(nn.Sequential(nn.AdaptiveAvgPool2d(1), norm_act_conv(in_channels, branch_channels, norm=norm)))
    return nn.ModuleList(branches)


class DAPPM(nn.Module):
    """DDRNet's DAPPM (also PIDNet-L's); ``scales.0`` is the unpooled branch, ``processes.i`` refines branch i+1."""

    def __init__(self, in_channels: int, branch_channels: int, out_channels: int, norm: str = "BN") -> None:
        super().__init__()
        self.scales = _pooled_branches(in_channels, branch_channels, norm, POOLS)
        self.processes = self._make_processes(branch_channels, len(self.scales) - 1, norm)
        self.compression = norm_act_conv(branch_channels * len(self.scales), out_channels, norm=norm)
        self.shortcut = norm_act_conv(in_channels, out_channels, norm=norm)

    def _make_processes(self, channels: int, num_pooled: int, norm: str) -> nn.Module:
        return nn.ModuleList([norm_act_conv(channels, channels, 3, norm=norm) for _ in range(num_pooled)])

    def _upsampled(self, x: torch.Tensor) -> List[torch.Tensor]:
        size = x.shape[2:]
        return [F.interpolate(scale(x), size=size, mode="bilinear", align_corners=False)
                for scale in self.scales[1:]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [self.scales[0](x)]
        for process, up in zip(self.processes, self._upsampled(x)):
            feats.append(process(up + feats[-1]))
        return self.compression(torch.cat(feats, dim=1)) + self.shortcut(x)


class PAPPM(DAPPM):
    """PIDNet-S/M's PAPPM: the pooled branches all add the unpooled one, then one 3x3 conv of 4 groups."""

    def _make_processes(self, channels: int, num_pooled: int, norm: str) -> nn.Module:
        return norm_act_conv(channels * num_pooled, channels * num_pooled, 3, groups=num_pooled, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = self.scales[0](x)
        pooled = self.processes(torch.cat([up + first for up in self._upsampled(x)], dim=1))
        return self.compression(torch.cat([first, pooled], dim=1)) + self.shortcut(x)
