"""STDC (Fan et al., "Rethinking BiSeNet For Real-time Semantic Segmentation", CVPR 2021): the
short-term dense concatenation network, with BiSeNet's ARM context path and an FFM on top.

Layer for layer mmsegmentation 1.2.2's ``STDCContextPathNet`` with its ``STDCNet`` (STDC1 / STDC2).
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

import torch
from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import Backbone, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from ..layers import ContextPath, FeatureFusion
from ..parts import register_backbone

STAGE_STRIDES = {"STDCNet1": [(2, 1), (2, 1), (2, 1)], "STDCNet2": [(2, 1, 1, 1), (2, 1, 1, 1, 1), (2, 1, 1)]}
BOTTLENECKS = ("cat", "add")


class STDCModule(nn.Module):
    """``num_convs`` convs of halving widths (1x1 to out/2, then 3x3s to out/4, out/8, ..., the last
    repeating the width) whose outputs are concatenated to ``out_channels``. Stride 2: a depthwise 3x3/2
    conv-BN after the first conv, and that conv's output average-pooled in the concatenation ("cat"), or a
    depthwise-separable shortcut added ("add")."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, norm: str = "BN", num_convs: int = 4,
                 fusion: str = "cat") -> None:
        super().__init__()
        if num_convs < 2 or fusion not in BOTTLENECKS:
            raise ValueError(f"MODEL.STDC: NUM_CONVS must be >= 2 and BOTTLENECK one of {BOTTLENECKS}, got "
                             f"{num_convs!r} and {fusion!r}")
        self.fusion, self.with_downsample = fusion, stride == 2
        half = out_channels // 2
        layers: List[nn.Module] = [ConvNormAct(in_channels, half, 1, norm=norm)]
        self.downsample = (ConvNormAct(half, half, 3, 2, groups=half, norm=norm, activation=False)
                           if self.with_downsample else None)
        self.skip = None
        if self.with_downsample and fusion == "add":
            layers[0] = nn.Sequential(layers[0], self.downsample)
            self.skip = nn.Sequential(
                ConvNormAct(in_channels, in_channels, 3, 2, groups=in_channels, norm=norm, activation=False),
                ConvNormAct(in_channels, out_channels, 1, norm=norm, activation=False))
        elif self.with_downsample:
            self.skip = nn.AvgPool2d(kernel_size=3, stride=2, padding=1)
        for i in range(1, num_convs):
            out_factor = 2 ** (i + 1) if i != num_convs - 1 else 2**i
            layers.append(ConvNormAct(out_channels // 2**i, out_channels // out_factor, 3, norm=norm))
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fusion == "add":
            outs, y = [], x
            for layer in self.layers:
                y = layer(y)
                outs.append(y)
            return torch.cat(outs, dim=1) + (self.skip(x) if self.with_downsample else x)
        x0 = self.layers[0](x)
        y = self.downsample(x0) if self.with_downsample else x0
        outs = [self.skip(x0) if self.with_downsample else x0]
        for layer in self.layers[1:]:
            y = layer(y)
            outs.append(y)
        return torch.cat(outs, dim=1)


class STDCNet(nn.Module):
    """Two strided 3x3 conv-BN-ReLUs (strides 2, 4), then three stages of STDC modules (8, 16, 32); returns
    the stage outputs at strides 8, 16, 32."""

    def __init__(self, stdc_type: str = "STDCNet1", channels: Sequence[int] = (32, 64, 256, 512, 1024), fusion: str = "cat",
                 num_convs: int = 4, norm: str = "BN") -> None:
        super().__init__()
        if stdc_type not in STAGE_STRIDES or len(channels) != 5:
            raise ValueError(f"MODEL.STDC.TYPE must be one of {tuple(STAGE_STRIDES)} and MODEL.STDC.CHANNELS have 5 "
                             f"widths, got {stdc_type!r} and {list(channels)!r}")
        stages: List[nn.Module] = [ConvNormAct(3, channels[0], 3, 2, norm=norm),
                                   ConvNormAct(channels[0], channels[1], 3, 2, norm=norm)]
        for i, strides in enumerate(STAGE_STRIDES[stdc_type]):
            stages.append(nn.Sequential(*[
                STDCModule(channels[i + 1] if j == 0 else channels[i + 2], channels[i + 2], s, norm, num_convs, fusion)
                for j, s in enumerate(strides)
            ]))
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs[2:]


class STDCContextPathNet(Backbone):
    """STDCNet, the ARM context path on its stride-16/32 maps and the FFM of its stride-8 map with the context.

    Returns "stdc8" (the STDC stage at stride 8: the detail head's input), "context16", "context8" (the
    context path, ``context_channels``) and "fused" (the FFM, ``fusion_channels``, stride 8)."""

    def __init__(self, stdc: STDCNet, stdc_channels: Sequence[int], context_channels: int = 128, fusion_channels: int = 256,
                 norm: str = "BN") -> None:
        super().__init__()
        self.stdc = stdc
        self.context_path = ContextPath(stdc_channels[3], stdc_channels[4], context_channels, norm)
        self.ffm = FeatureFusion(stdc_channels[2] + context_channels, fusion_channels, attention_reduction=4, norm=norm)
        self._out_features = ["fused", "stdc8", "context8", "context16"]
        self._out_shapes = {"fused": ShapeSpec(fusion_channels, 8), "stdc8": ShapeSpec(stdc_channels[2], 8),
                            "context8": ShapeSpec(context_channels, 8), "context16": ShapeSpec(context_channels, 16)}

    @classmethod
    def from_config(cls, cfg: CfgNode) -> Dict[str, Any]:
        s = cfg.MODEL.STDC
        stdc = STDCNet(s.TYPE, list(s.CHANNELS), s.BOTTLENECK, s.NUM_CONVS, s.NORM)
        return dict(stdc=stdc, stdc_channels=list(s.CHANNELS), context_channels=s.CONTEXT_CHANNELS,
                    fusion_channels=s.FUSION_CHANNELS, norm=s.NORM)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        x8, x16, x32 = self.stdc(x)
        context8, context16 = self.context_path(x8, x16, x32)
        return {"fused": self.ffm(x8, context8), "stdc8": x8, "context8": context8, "context16": context16}


build_stdc_backbone = register_backbone("build_stdc_backbone", STDCContextPathNet)
