"""The residual blocks of DDRNet and PIDNet: ResNet's, with the final ReLU optional.

A stage's last block has no final ReLU, and the branches apply one where they read it (DDRNet's and
PIDNet's ``_make_layer``), so the pre-activation sum can be exchanged between branches. Children are
``conv1``, ``conv2`` (, ``conv3``) and ``downsample``, each a conv-norm(-ReLU) Sequential.
"""
from __future__ import annotations

from typing import Optional, Type, Union

import torch
from torch import nn

from seg_engine.modeling.layers import ConvNormAct


class BasicBlock(nn.Module):
    """Two 3x3 conv-norms, the first strided and activated; ReLU after the sum when ``final_act``."""

    expansion = 1
    default_final_act = True

    def __init__(self, in_channels: int, channels: int, stride: int = 1, norm: str = "BN", final_act: bool = True) -> None:
        super().__init__()
        self.conv1 = ConvNormAct(in_channels, channels, 3, stride, norm=norm)
        self.conv2 = ConvNormAct(channels, channels, 3, norm=norm, activation=False)
        self.downsample = _shortcut(in_channels, channels * self.expansion, stride, norm)
        self.act = nn.ReLU(inplace=True) if final_act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.act(self.conv2(self.conv1(x)) + identity)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (strided) -> 1x1 to ``2 * channels`` (expansion 2, as DDRNet and PIDNet); no final ReLU by default."""

    expansion = 2
    default_final_act = False

    def __init__(self, in_channels: int, channels: int, stride: int = 1, norm: str = "BN", final_act: bool = False) -> None:
        super().__init__()
        self.conv1 = ConvNormAct(in_channels, channels, 1, norm=norm)
        self.conv2 = ConvNormAct(channels, channels, 3, stride, norm=norm)
        self.conv3 = ConvNormAct(channels, channels * self.expansion, 1, norm=norm, activation=False)
        self.downsample = _shortcut(in_channels, channels * self.expansion, stride, norm)
        self.act = nn.ReLU(inplace=True) if final_act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.act(self.conv3(self.conv2(self.conv1(x))) + identity)


def _shortcut(in_channels: int, out_channels: int, stride: int, norm: str) -> Optional[nn.Module]:
    if stride == 1 and in_channels == out_channels:
        return None
    return ConvNormAct(in_channels, out_channels, 1, stride, norm=norm, activation=False)


Block = Type[Union[BasicBlock, Bottleneck]]


def residual_layer(block: Block, in_channels: int, channels: int, num_blocks: int, stride: int = 1,
                   norm: str = "BN") -> nn.Sequential:
    """``num_blocks`` blocks, the first strided: the first keeps its block's default final ReLU, the others
    have one except the last (the references' ``_make_layer``)."""
    layers = [block(in_channels, channels, stride, norm, block.default_final_act)]
    for i in range(1, num_blocks):
        layers.append(block(channels * block.expansion, channels, 1, norm, i != num_blocks - 1))
    return nn.Sequential(*layers)
