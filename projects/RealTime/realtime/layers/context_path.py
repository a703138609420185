"""The context path of BiSeNetV1 and STDC: ARMs on the stride-16 and stride-32 maps of a backbone, with the
globally pooled stride-32 map added, each sum enlarged (nearest) to the next map's size and refined by a
3x3 conv-BN-ReLU.
"""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling.layers import ConvNormAct

from .attention_refinement import AttentionRefinement


class ContextPath(nn.Module):
    """Returns (stride-8 map, stride-16 map) of ``channels`` channels from the backbone's maps at 8, 16, 32.

    ``global_conv``: pool + 1x1 conv-BN-ReLU of the deepest map; ``arm32``/``head32``, ``arm16``/``head16``.
    mmseg names them ``gap_conv``, ``arm32``, ``conv_head32``, ... (BiSeNetV1) and ``conv_avg``, ``arms.0``,
    ``convs.0``, ... (STDC); the computation is the same.
    """

    def __init__(self, in_channels16: int, in_channels32: int, channels: int, norm: str = "BN") -> None:
        super().__init__()
        self.global_conv = ConvNormAct(in_channels32, channels, 1, norm=norm)
        self.arm32 = AttentionRefinement(in_channels32, channels, norm)
        self.head32 = ConvNormAct(channels, channels, 3, norm=norm)
        self.arm16 = AttentionRefinement(in_channels16, channels, norm)
        self.head16 = ConvNormAct(channels, channels, 3, norm=norm)

    def forward(self, x8: torch.Tensor, x16: torch.Tensor, x32: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        context = self.global_conv(F.adaptive_avg_pool2d(x32, 1))
        up32 = self.head32(F.interpolate(self.arm32(x32) + context, size=x16.shape[2:], mode="nearest"))
        up16 = self.head16(F.interpolate(self.arm16(x16) + up32, size=x8.shape[2:], mode="nearest"))
        return up16, up32
