"""BiSeNetV1 (Yu et al., "BiSeNet: Bilateral Segmentation Network for Real-time Semantic Segmentation",
ECCV 2018): a spatial path of three strided convs and a context path of ARMs on a ResNet, fused by the FFM.

Layer for layer mmsegmentation 1.2.2's ``BiSeNetV1`` backbone (and, with MODEL.BISENETV1.FFM_ATTENTION_ACT
False, CoinCheung/BiSeNet's); the ResNet is the core one, configured by MODEL.RESNETS (mmseg: depth 18, 7x7 stem).
"""
from __future__ import annotations

from typing import Any, Dict, Sequence

import torch
from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import Backbone, ShapeSpec, build_resnet_backbone
from seg_engine.modeling.layers import ConvNormAct

from ..layers import ContextPath, FeatureFusion
from ..parts import register_backbone

CONTEXT_FEATURES = ("res3", "res4", "res5")


def spatial_path(channels: Sequence[int], norm: str = "BN") -> nn.Sequential:
    """7x7/2, 3x3/2, 3x3/2, then 1x1: four conv-BN-ReLUs of ``channels`` to stride 8."""
    if len(channels) != 4:
        raise ValueError(f"MODEL.BISENETV1.SPATIAL_CHANNELS must have 4 widths, got {list(channels)!r}")
    widths = [3, *channels]
    kernels, strides = (7, 3, 3, 1), (2, 2, 2, 1)
    return nn.Sequential(*[ConvNormAct(widths[i], widths[i + 1], kernels[i], strides[i], norm=norm) for i in range(4)])


class BiSeNetV1(Backbone):
    """Returns "fused" (the FFM's output, ``out_channels``, stride 8), and the context path's "context8"
    (stride 8) and "context16" (stride 16), ``context_channels`` each: the decode head's and the two
    auxiliary heads' inputs. ``resnet`` must give res3, res4 and res5 at strides 8, 16 and 32."""

    def __init__(self, resnet: Backbone, spatial_channels: Sequence[int] = (64, 64, 64, 128), context_channels: int = 128,
                 out_channels: int = 256, norm: str = "BN", ffm_attention_act: bool = True) -> None:
        super().__init__()
        shapes = resnet.output_shape()
        if any(shapes.get(f, ShapeSpec(0, 0)).stride != s for f, s in zip(CONTEXT_FEATURES, (8, 16, 32))):
            raise ValueError("BiSeNetV1's context path needs MODEL.RESNETS.OUT_FEATURES res3, res4, res5 at "
                             f"OUTPUT_STRIDE 32, got {dict(shapes)}")
        self.resnet = resnet
        self.context_path = ContextPath(shapes["res4"].channels, shapes["res5"].channels, context_channels, norm)
        self.spatial_path = spatial_path(spatial_channels, norm)
        self.ffm = FeatureFusion(spatial_channels[-1] + context_channels, out_channels, norm=norm,
                                 attention_act=ffm_attention_act)
        self._out_features = ["fused", "context8", "context16"]
        self._out_shapes = {"fused": ShapeSpec(out_channels, 8), "context8": ShapeSpec(context_channels, 8),
                            "context16": ShapeSpec(context_channels, 16)}

    @classmethod
    def from_config(cls, cfg: CfgNode) -> Dict[str, Any]:
        b = cfg.MODEL.BISENETV1
        return dict(resnet=build_resnet_backbone(cfg), spatial_channels=list(b.SPATIAL_CHANNELS),
                    context_channels=b.CONTEXT_CHANNELS, out_channels=b.OUT_CHANNELS, norm=b.NORM,
                    ffm_attention_act=b.FFM_ATTENTION_ACT)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        maps = self.resnet(x)
        context8, context16 = self.context_path(*(maps[f] for f in CONTEXT_FEATURES))
        return {"fused": self.ffm(self.spatial_path(x), context8), "context8": context8, "context16": context16}


build_bisenetv1_backbone = register_backbone("build_bisenetv1_backbone", BiSeNetV1)
