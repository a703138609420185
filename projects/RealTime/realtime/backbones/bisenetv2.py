"""BiSeNetV2 (Yu et al., "BiSeNet V2: Bilateral Network with Guided Aggregation for Real-time Semantic
Segmentation", IJCV 2021): a wide, shallow detail branch (stride 8), a narrow, deep semantic branch
(stride 32) and the bilateral guided aggregation (BGA) layer.

Layer for layer mmsegmentation 1.2.2's ``BiSeNetV2`` backbone; MODEL.BISENETV2.BGA_UPSAMPLE and
BGA_POINTWISE_BIAS give CoinCheung/BiSeNet's aggregation.
"""
from __future__ import annotations

from typing import Any, Dict, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import Backbone, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from ..parts import register_backbone
from .bisenetv2_semantic import SemanticBranch

BGA_UPSAMPLES = ("bilinear", "nearest")


def detail_branch(channels: Sequence[int] = (64, 64, 128), norm: str = "BN") -> nn.ModuleList:
    """Three stages of 3x3 conv-BN-ReLUs, each starting with a stride-2 conv: 2, 3 and 3 convs."""
    if len(channels) != 3:
        raise ValueError(f"MODEL.BISENETV2.DETAIL_CHANNELS must have 3 widths, got {list(channels)!r}")
    stages, previous = [], 3
    for i, width in enumerate(channels):
        convs = [ConvNormAct(previous, width, 3, 2, norm=norm)]
        convs += [ConvNormAct(width, width, 3, norm=norm) for _ in range(1 if i == 0 else 2)]
        stages.append(nn.Sequential(*convs))
        previous = width
    return nn.ModuleList(stages)


def _separable(channels: int, norm: str, pointwise_bias: bool) -> nn.Sequential:
    """Depthwise 3x3 conv-BN, then a pointwise 1x1 conv without norm or activation."""
    return nn.Sequential(ConvNormAct(channels, channels, 3, groups=channels, norm=norm, activation=False),
                         nn.Conv2d(channels, channels, 1, bias=pointwise_bias))


class GuidedAggregation(nn.Module):
    """BGA: the detail map gated by the enlarged semantic map, plus the down-sampled detail map gated by the
    semantic map and enlarged, through a 3x3 conv-BN-ReLU."""

    def __init__(self, channels: int = 128, norm: str = "BN", align_corners: bool = False, upsample: str = "bilinear",
                 pointwise_bias: bool = True) -> None:
        super().__init__()
        if upsample not in BGA_UPSAMPLES:
            raise ValueError(f"MODEL.BISENETV2.BGA_UPSAMPLE must be one of {BGA_UPSAMPLES}, got {upsample!r}")
        self.align_corners, self.upsample = align_corners, upsample
        self.detail_dwconv = _separable(channels, norm, pointwise_bias)
        self.detail_down = nn.Sequential(ConvNormAct(channels, channels, 3, 2, norm=norm, activation=False, bias=False),
                                         nn.AvgPool2d(kernel_size=3, stride=2, padding=1))
        self.semantic_conv = ConvNormAct(channels, channels, 3, norm=norm, activation=False, bias=False)
        self.semantic_dwconv = _separable(channels, norm, pointwise_bias)
        self.conv = ConvNormAct(channels, channels, 3, norm=norm)

    def _enlarge(self, x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        if self.upsample == "nearest":  # CoinCheung: nn.Upsample(scale_factor=4)
            return F.interpolate(x, scale_factor=4.0, mode="nearest")
        return F.interpolate(x, size=like.shape[2:], mode="bilinear", align_corners=self.align_corners)

    def forward(self, x_d: torch.Tensor, x_s: torch.Tensor) -> torch.Tensor:
        detail = self.detail_dwconv(x_d)
        fuse_1 = detail * torch.sigmoid(self._enlarge(self.semantic_conv(x_s), detail))
        fuse_2 = self.detail_down(x_d) * torch.sigmoid(self.semantic_dwconv(x_s))
        return self.conv(fuse_1 + self._enlarge(fuse_2, fuse_1))


class BiSeNetV2(Backbone):
    """Returns "fused" (the BGA's output, stride 8) for the decode head and the semantic branch's stage
    outputs "semantic4", "semantic8", "semantic16", "semantic32" (named by stride) for the booster heads."""

    def __init__(self, detail_channels: Sequence[int] = (64, 64, 128), semantic_channels: Sequence[int] = (16, 32, 64, 128),
                 expansion_ratio: int = 6, bga_channels: int = 128, norm: str = "BN", align_corners: bool = False,
                 bga_upsample: str = "bilinear", bga_pointwise_bias: bool = True) -> None:
        super().__init__()
        self.detail = detail_branch(detail_channels, norm)
        self.semantic = SemanticBranch(semantic_channels, expansion_ratio, norm)
        self.bga = GuidedAggregation(bga_channels, norm, align_corners, bga_upsample, bga_pointwise_bias)
        self._out_features = ["fused", "semantic4", "semantic8", "semantic16", "semantic32"]
        self._out_shapes = {"fused": ShapeSpec(bga_channels, 8)}
        for i, width in enumerate(semantic_channels):
            self._out_shapes[f"semantic{4 * 2 ** i}"] = ShapeSpec(width, 4 * 2**i)

    @classmethod
    def from_config(cls, cfg: CfgNode) -> Dict[str, Any]:
        b = cfg.MODEL.BISENETV2
        return dict(detail_channels=list(b.DETAIL_CHANNELS), semantic_channels=list(b.SEMANTIC_CHANNELS),
                    expansion_ratio=b.EXPANSION_RATIO, bga_channels=b.BGA_CHANNELS, norm=b.NORM,
                    align_corners=b.ALIGN_CORNERS, bga_upsample=b.BGA_UPSAMPLE, bga_pointwise_bias=b.BGA_POINTWISE_BIAS)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        detail = x
        for stage in self.detail:
            detail = stage(detail)
        semantic = self.semantic(x)
        out = {"fused": self.bga(detail, semantic[-1])}
        out.update({name: semantic[i] for i, name in enumerate(self._out_features[1:])})
        return out


build_bisenetv2_backbone = register_backbone("build_bisenetv2_backbone", BiSeNetV2)
