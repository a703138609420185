"""DDRNet (Hong, Pan, Sun, Jia, "Deep Dual-resolution Networks for Real-time and Accurate Semantic
Segmentation of Road Scenes", arXiv:2101.06085): a high-resolution (spatial, stride 8) and a
low-resolution (context, down to stride 64 with DAPPM) branch exchanging features twice (bilateral fusion).

Layer for layer mmsegmentation 1.2.2's ``DDRNet`` backbone (DDRNet-23-slim: 32 channels, DDRNet-23: 64).
"""
from __future__ import annotations

from typing import Any, Dict

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import Backbone, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from ..layers import DAPPM, BasicBlock, Bottleneck, residual_layer
from ..parts import register_backbone


class DDRNet(Backbone):
    """Returns "fused" (spatial + resized context, 4c channels) and "spatial" (the high-resolution branch
    after stage 3, 2c; mmseg's ``temp_context``, the auxiliary head's input), both at stride 8.

    The network needs sides divisible by 8, its deepest output stride:
    the recipes set MODEL.PAD_INPUT, which pads inside the model and crops back.
    """

    def __init__(self, channels: int = 32, ppm_channels: int = 128, norm: str = "BN", align_corners: bool = False) -> None:
        super().__init__()
        c = channels
        self.align_corners = align_corners
        self.stem = nn.Sequential(
            ConvNormAct(3, c, 3, 2, norm=norm),
            ConvNormAct(c, c, 3, 2, norm=norm),
            residual_layer(BasicBlock, c, c, 2, norm=norm),
            nn.ReLU(),
            residual_layer(BasicBlock, c, 2 * c, 2, 2, norm),
            nn.ReLU(),
        )
        self.relu = nn.ReLU()
        self.context_branch_layers = nn.ModuleList([
            residual_layer(BasicBlock, 2 * c, 4 * c, 2, 2, norm),
            residual_layer(BasicBlock, 4 * c, 8 * c, 2, 2, norm),
            residual_layer(Bottleneck, 8 * c, 8 * c, 1, 2, norm),
        ])
        self.compression_1 = ConvNormAct(4 * c, 2 * c, 1, norm=norm, activation=False)
        self.down_1 = ConvNormAct(2 * c, 4 * c, 3, 2, norm=norm, activation=False)
        self.compression_2 = ConvNormAct(8 * c, 2 * c, 1, norm=norm, activation=False)
        self.down_2 = nn.Sequential(ConvNormAct(2 * c, 4 * c, 3, 2, norm=norm),
                                    ConvNormAct(4 * c, 8 * c, 3, 2, norm=norm, activation=False))
        self.spatial_branch_layers = nn.ModuleList([
            residual_layer(BasicBlock, 2 * c, 2 * c, 2, norm=norm),
            residual_layer(BasicBlock, 2 * c, 2 * c, 2, norm=norm),
            residual_layer(Bottleneck, 2 * c, 2 * c, 1, norm=norm),
        ])
        self.spp = DAPPM(16 * c, ppm_channels, 4 * c, norm)
        self._out_features = ["fused", "spatial"]
        self._out_shapes = {"fused": ShapeSpec(4 * c, 8), "spatial": ShapeSpec(2 * c, 8)}

    @classmethod
    def from_config(cls, cfg: CfgNode) -> Dict[str, Any]:
        d = cfg.MODEL.DDRNET
        return dict(channels=d.CHANNELS, ppm_channels=d.PPM_CHANNELS, norm=d.NORM, align_corners=d.ALIGN_CORNERS)

    def _to(self, x: torch.Tensor, size) -> torch.Tensor:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=self.align_corners)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        size = (x.shape[-2] // 8, x.shape[-1] // 8)
        x = self.stem(x)
        # stage 3
        x_c = self.context_branch_layers[0](x)
        x_s = self.spatial_branch_layers[0](x)
        comp_c = self.compression_1(self.relu(x_c))
        x_c = x_c + self.down_1(self.relu(x_s))
        x_s = x_s + self._to(comp_c, size)
        spatial = x_s
        # stage 4
        x_c = self.context_branch_layers[1](self.relu(x_c))
        x_s = self.spatial_branch_layers[1](self.relu(x_s))
        comp_c = self.compression_2(self.relu(x_c))
        x_c = x_c + self.down_2(self.relu(x_s))
        x_s = x_s + self._to(comp_c, size)
        # stage 5
        x_s = self.spatial_branch_layers[2](self.relu(x_s))
        x_c = self._to(self.spp(self.context_branch_layers[2](self.relu(x_c))), size)
        return {"fused": x_s + x_c, "spatial": spatial}


build_ddrnet_backbone = register_backbone("build_ddrnet_backbone", DDRNet)
