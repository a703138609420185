"""Feature Pyramid Network (Lin et al., "Feature Pyramid Networks for Object Detection", CVPR 2017).

Each input map C_k gets a 1x1 lateral conv to ``out_channels``; from the deepest level down, the
running sum is up-sampled (nearest) to the next lateral's size and added to it; a 3x3 output conv
then smooths each sum into P_k. The three public designs are arguments:

* mmsegmentation ``FPN`` and detectron2 ``FPN``: lateral and output convs with bias, no norm
  (``norm=""``), nearest top-down, sum; detectron2 can also average (``fuse_type="avg"``) and norm;
* segmentation_models_pytorch ``FPNDecoder``: no output convs (``output_convs=False``), so P5 is the
  1x1 conv of C5 and P_k the top-down sums.

The top-down step resizes to the lateral's size rather than by a factor of 2, as mmsegmentation
does, so inputs of any size work; with sides divisible by the deepest stride both are the same.
"""
from __future__ import annotations

import math
from typing import Dict, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone.backbone import ShapeSpec
from ..layers import ConvNormAct
from ..registry import NECK_REGISTRY

FUSE_TYPES = ("sum", "avg")


def level_name(stride: int) -> str:
    """``p<log2(stride)>``: detectron2's names, p2 at stride 4 .. p5 at stride 32."""
    return f"p{int(math.log2(stride))}"


@NECK_REGISTRY.register()
class FPN(nn.Module):
    """Adds ``p2``..``p5`` (named by stride) to the input maps, which pass through unchanged.

    Args:
        input_shape: the backbone's output shapes.
        in_features: shallowest to deepest, each at twice the stride of the one before
            (e.g. "res2".."res5" of an output-stride-32 ResNet).
        out_channels: of every lateral and output conv (256 in all three references).
        norm: a name for :func:`get_norm` after each conv; "" (the references' default) gives
            convs with bias and no norm.
        output_convs: the 3x3 output convs (False: smp, P_k is the top-down sum itself).
        fuse_type: "sum" or "avg" (detectron2's FUSE_TYPE: the sum halved).
    """

    def __init__(
        self,
        input_shape: Dict[str, ShapeSpec],
        in_features: Sequence[str] = ("res2", "res3", "res4", "res5"),
        out_channels: int = 256,
        norm: str = "",
        output_convs: bool = True,
        fuse_type: str = "sum",
    ) -> None:
        super().__init__()
        missing = [name for name in in_features if name not in input_shape]
        if missing or not in_features:
            raise ValueError(f"MODEL.FPN.IN_FEATURES {list(in_features)} are not all among the backbone's {sorted(input_shape)}")
        strides = [input_shape[name].stride for name in in_features]
        if any(deeper != 2 * shallower for shallower, deeper in zip(strides, strides[1:])) or strides[0] & (strides[0] - 1):
            raise ValueError(
                f"MODEL.FPN.IN_FEATURES {list(in_features)} have strides {strides}; FPN needs powers of 2, each twice "
                "the one before (an undilated backbone: MODEL.RESNETS.OUTPUT_STRIDE 32)"
            )
        if fuse_type not in FUSE_TYPES:
            raise ValueError(f"MODEL.FPN.FUSE_TYPE must be one of {FUSE_TYPES}, got {fuse_type!r}")
        self.in_features = list(in_features)
        self.out_features = [level_name(s) for s in strides]
        self.fuse_type = fuse_type
        self.lateral_convs = nn.ModuleList(
            ConvNormAct(input_shape[name].channels, out_channels, 1, norm=norm, activation=False) for name in in_features
        )
        self.output_convs = None
        if output_convs:
            self.output_convs = nn.ModuleList(
                ConvNormAct(out_channels, out_channels, 3, norm=norm, activation=False) for _ in in_features
            )
        self._output_shape = dict(input_shape)
        for name, stride in zip(self.out_features, strides):
            self._output_shape[name] = ShapeSpec(channels=out_channels, stride=stride)
        self._init_weights()

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        f = cfg.MODEL.FPN
        return dict(input_shape=input_shape, in_features=list(f.IN_FEATURES), out_channels=f.OUT_CHANNELS,
                    norm=f.NORM, output_convs=f.OUTPUT_CONVS, fuse_type=f.FUSE_TYPE)

    def _init_weights(self) -> None:
        """detectron2's c2_xavier_fill: kaiming uniform with a=1, zero bias."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return dict(self._output_shape)

    def forward(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        laterals = [conv(features[name]) for conv, name in zip(self.lateral_convs, self.in_features)]
        merged = [laterals[-1]]
        for lateral in laterals[-2::-1]:
            top_down = F.interpolate(merged[-1], size=lateral.shape[-2:], mode="nearest")
            fused = lateral + top_down
            merged.append(fused / 2 if self.fuse_type == "avg" else fused)
        merged.reverse()
        if self.output_convs is not None:
            merged = [conv(x) for conv, x in zip(self.output_convs, merged)]
        out = dict(features)
        out.update(zip(self.out_features, merged))
        return out

