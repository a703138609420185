"""Joint Pyramid Upsampling (FastFCN, Wu et al. 2019): output-stride-8 features from an OS-32 backbone.

res3, res4 and res5 each go through a 3x3 conv-norm-ReLU to ``width`` channels, are resized to
res3's size and concatenated (deepest first, as FastFCN); four separable-conv branches with
dilations 1, 2, 4, 8 (depthwise 3x3, norm, pointwise 1x1, then norm and ReLU) read that and are
concatenated into ``len(dilations) * width`` channels at res3's stride.

A registered neck (MODEL.NECK.NAME "JPU", configured by MODEL.JPU): any head may read its output.
"""
from __future__ import annotations

from typing import Dict, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ...config.renames import register_renamed_key
from ..backbone.backbone import ShapeSpec
from ..layers import ConvNormAct, SeparableConv2d
from ..registry import NECK_REGISTRY


@NECK_REGISTRY.register()
class JPU(nn.Module):
    """Replaces the deepest of ``in_features`` by the JPU output; other maps pass through unchanged.

    Args:
        input_shape: the backbone's output shapes.
        in_features: shallowest to deepest, e.g. ("res3", "res4", "res5") of an OS-32 ResNet.
        width: channels of each input conv and each branch (FastFCN: 512).
        dilations: of the separable branches (FastFCN: 1, 2, 4, 8).
        norm: a name for :func:`get_norm`.
        align_corners: of the bilinear resizes (FastFCN: True).
    """

    def __init__(
        self,
        input_shape: Dict[str, ShapeSpec],
        in_features: Sequence[str] = ("res3", "res4", "res5"),
        width: int = 512,
        dilations: Sequence[int] = (1, 2, 4, 8),
        norm: str = "BN",
        align_corners: bool = True,
    ) -> None:
        super().__init__()
        missing = [name for name in in_features if name not in input_shape]
        if missing:
            raise ValueError(f"JPU reads {missing}, but the backbone gives {sorted(input_shape)}")
        self.in_features = list(in_features)
        self.align_corners = align_corners
        self.convs = nn.ModuleList(ConvNormAct(input_shape[name].channels, width, 3, norm=norm) for name in in_features)
        concat = len(in_features) * width
        self.branches = nn.ModuleList(SeparableConv2d(concat, width, 3, dilation=d, norm=norm) for d in dilations)
        self._output_shape = dict(input_shape)
        self._output_shape[in_features[-1]] = ShapeSpec(
            channels=len(dilations) * width, stride=input_shape[in_features[0]].stride
        )

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        j = cfg.MODEL.JPU
        return dict(input_shape=input_shape, in_features=tuple(j.IN_FEATURES), width=j.WIDTH,
                    dilations=tuple(j.DILATIONS), norm=j.NORM, align_corners=cfg.MODEL.ALIGN_CORNERS)

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return dict(self._output_shape)

    def forward(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        maps = [conv(features[name]) for conv, name in zip(self.convs, self.in_features)]
        size = maps[0].shape[-2:]
        maps = [m if m.shape[-2:] == size else F.interpolate(m, size=size, mode="bilinear", align_corners=self.align_corners)
                for m in maps]
        x = torch.cat(maps[::-1], dim=1)
        out = dict(features)
        out[self.in_features[-1]] = torch.cat([branch(x) for branch in self.branches], dim=1)
        return out


def register_jpu_renames(node: str) -> None:
    """Old configs spelled the JPU as ``<node>.USE_JPU``, ``<node>.JPU_WIDTH`` and ``<node>.JPU_DILATIONS`` of the
    project that put a head on it (``node``); read them as MODEL.NECK.NAME "JPU" and MODEL.JPU."""
    why = "the JPU is a neck of its own: MODEL.NECK.NAME JPU, configured by MODEL.JPU"
    register_renamed_key(f"{node}.USE_JPU", lambda use, _: {"MODEL.NECK.NAME": "JPU" if use else ""}, why)
    register_renamed_key(f"{node}.JPU_WIDTH", lambda width, _: {"MODEL.JPU.WIDTH": width}, why)
    register_renamed_key(f"{node}.JPU_DILATIONS", lambda dilations, _: {"MODEL.JPU.DILATIONS": dilations}, why)
