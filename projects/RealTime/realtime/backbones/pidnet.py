"""PIDNet (Xu, Xiong, Bhattacharyya, "PIDNet: A Real-time Semantic Segmentation Network Inspired by PID
Controllers", CVPR 2023): a proportional (detail, stride 8), an integral (context, down to stride 64 with
a pyramid pooling) and a derivative (boundary, stride 8) branch, fused by Pag and Bag modules.

Layer for layer mmsegmentation 1.2.2's ``PIDNet`` backbone (itself XuJiacong/PIDNet's, module names aside);
``STEM_BIAS`` gives the authors' biased stem convs.
"""
from __future__ import annotations

from typing import Any, Dict

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import Backbone, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from ..layers import DAPPM, PAPPM, BasicBlock, Bottleneck, residual_layer
from ..parts import register_backbone
from .pid_fusion import Bag, LightBag, PagFM


class PIDNet(Backbone):
    """Returns "fused" (the Bag's output, 4c channels), "p" (the P branch after Pag 1, 2c) and "d" (the D
    branch after stage 4, 2c), all at stride 8, where c is ``channels``.

    The decode head reads "fused"; in training the P head reads "p" and the boundary head "d" (mmseg's
    ``(temp_p, out, temp_d)``). The network needs sides divisible by 8, its deepest output stride:
    the recipes set MODEL.PAD_INPUT, which pads inside the model and crops back.
    """

    def __init__(self, channels: int = 32, ppm_channels: int = 96, num_stem_blocks: int = 2,
                 num_branch_blocks: int = 3, norm: str = "BN", align_corners: bool = False,
                 stem_bias: bool = False) -> None:
        super().__init__()
        if num_stem_blocks not in (2, 3):
            raise ValueError(f"MODEL.PIDNET.NUM_STEM_BLOCKS must be 2 (PIDNet-S/M) or 3 (PIDNet-L), got {num_stem_blocks!r}")
        c = channels
        self.align_corners = align_corners
        self.stem = nn.Sequential(
            ConvNormAct(3, c, 3, 2, norm=norm, bias=stem_bias),
            ConvNormAct(c, c, 3, 2, norm=norm, bias=stem_bias),
            residual_layer(BasicBlock, c, c, num_stem_blocks, norm=norm),
            nn.ReLU(),
            residual_layer(BasicBlock, c, 2 * c, num_stem_blocks, 2, norm),
            nn.ReLU(),
        )
        self.relu = nn.ReLU()
        self.i_branch_layers = nn.ModuleList([
            residual_layer(BasicBlock, 2 * c, 4 * c, num_branch_blocks, 2, norm),
            residual_layer(BasicBlock, 4 * c, 8 * c, num_branch_blocks, 2, norm),
            residual_layer(Bottleneck, 8 * c, 8 * c, 2, 2, norm),
        ])
        self.p_branch_layers = nn.ModuleList([
            residual_layer(BasicBlock, 2 * c, 2 * c, num_stem_blocks, norm=norm),
            residual_layer(BasicBlock, 2 * c, 2 * c, num_stem_blocks, norm=norm),
            residual_layer(Bottleneck, 2 * c, 2 * c, 1, norm=norm),
        ])
        self.compression_1 = ConvNormAct(4 * c, 2 * c, 1, norm=norm, activation=False)
        self.compression_2 = ConvNormAct(8 * c, 2 * c, 1, norm=norm, activation=False)
        self.pag_1 = PagFM(2 * c, c, norm)
        self.pag_2 = PagFM(2 * c, c, norm)
        light = num_stem_blocks == 2
        d_channels = c if light else 2 * c
        self.d_branch_layers = nn.ModuleList([
            BasicBlock(2 * c, d_channels, norm=norm, final_act=False),
            residual_layer(Bottleneck, c, c, 1, norm=norm) if light else BasicBlock(2 * c, 2 * c, norm=norm, final_act=False),
            residual_layer(Bottleneck, 2 * c, 2 * c, 1, norm=norm),
        ])
        self.diff_1 = ConvNormAct(4 * c, d_channels, 3, norm=norm, activation=False)
        self.diff_2 = ConvNormAct(8 * c, 2 * c, 3, norm=norm, activation=False)
        self.spp = (PAPPM if light else DAPPM)(16 * c, ppm_channels, 4 * c, norm)
        self.dfm = (LightBag if light else Bag)(4 * c, 4 * c, norm)
        self._out_features = ["fused", "p", "d"]
        self._out_shapes = {"fused": ShapeSpec(4 * c, 8), "p": ShapeSpec(2 * c, 8), "d": ShapeSpec(2 * c, 8)}

    @classmethod
    def from_config(cls, cfg: CfgNode) -> Dict[str, Any]:
        p = cfg.MODEL.PIDNET
        return dict(channels=p.CHANNELS, ppm_channels=p.PPM_CHANNELS, num_stem_blocks=p.NUM_STEM_BLOCKS,
                    num_branch_blocks=p.NUM_BRANCH_BLOCKS, norm=p.NORM, align_corners=p.ALIGN_CORNERS,
                    stem_bias=p.STEM_BIAS)

    def _to(self, x: torch.Tensor, size) -> torch.Tensor:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=self.align_corners)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        size = (x.shape[-2] // 8, x.shape[-1] // 8)
        x = self.stem(x)
        # stage 3
        x_i = self.relu(self.i_branch_layers[0](x))
        x_p = self.pag_1(self.p_branch_layers[0](x), self.compression_1(x_i))
        x_d = self.d_branch_layers[0](x) + self._to(self.diff_1(x_i), size)
        p = x_p
        # stage 4
        x_i = self.relu(self.i_branch_layers[1](x_i))
        x_p = self.pag_2(self.p_branch_layers[1](self.relu(x_p)), self.compression_2(x_i))
        x_d = self.d_branch_layers[1](self.relu(x_d)) + self._to(self.diff_2(x_i), size)
        d = x_d
        # stage 5
        x_p = self.p_branch_layers[2](self.relu(x_p))
        x_d = self.d_branch_layers[2](self.relu(x_d))
        x_i = self._to(self.spp(self.i_branch_layers[2](x_i)), size)
        return {"fused": self.dfm(x_p, x_i, x_d), "p": p, "d": d}


build_pidnet_backbone = register_backbone("build_pidnet_backbone", PIDNet)
