"""The semantic segmentation branch of Panoptic FPN (Kirillov et al., CVPR 2019), detectron2's SemSegFPNHead."""
from __future__ import annotations

import math
from typing import Dict, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct


@HEAD_REGISTRY.register()
class SemSegFPNHead(nn.Module):
    """Per pyramid level, ``max(1, log2(stride / common stride))`` units of 3x3 conv-norm-ReLU, each
    followed by a 2x bilinear up-sampling while the level is coarser than the common stride; the
    levels are summed, then dropout and a 1x1 classifier. Logits are at the common stride (1/4).

    Its node gives IN_FEATURES (the levels, finest first), CHANNELS (128), NORM (detectron2 and smp "GN",
    mmsegmentation "BN") and DROPOUT (detectron2 0, mmsegmentation 0.1, smp 0.2; a Dropout2d in the latter two);
    MODEL.ALIGN_CORNERS the up-samplings' (smp: True).
    A level whose up-sampled map is not the finest level's size (an input whose sides are not
    multiples of the coarsest stride) is resized to it, as mmsegmentation does.
    """

    def __init__(
        self, input_shape: Dict[str, ShapeSpec], in_features: Sequence[str], num_classes: int, channels: int = 128,
        norm: str = "GN", dropout: float = 0.0, align_corners: bool = False,
    ) -> None:
        super().__init__()
        self.in_features = list(in_features)
        self.align_corners = align_corners
        strides = [input_shape[name].stride for name in self.in_features]
        common_stride = strides[0]
        if min(strides) != common_stride:
            raise ValueError(f"SemSegFPNHead's IN_FEATURES must start with the finest level, got strides {strides}")
        self.scale_heads = nn.ModuleList()
        for name, stride in zip(self.in_features, strides):
            units = []
            for k in range(max(1, int(math.log2(stride / common_stride)))):
                units.append(ConvNormAct(input_shape[name].channels if k == 0 else channels, channels, 3, norm=norm))
                if stride != common_stride:
                    units.append(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=align_corners))
            self.scale_heads.append(nn.Sequential(*units))
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, kernel_size=1)
        self._init_weights()

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        return dict(input_shape=input_shape, in_features=head_cfg.IN_FEATURES, num_classes=cfg.MODEL.NUM_CLASSES,
                    channels=head_cfg.CHANNELS, norm=head_cfg.NORM, dropout=head_cfg.DROPOUT,
                    align_corners=cfg.MODEL.ALIGN_CORNERS)

    def _init_weights(self) -> None:
        """detectron2's c2_msra_fill (kaiming normal, fan_out, zero bias) on every conv."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        x = self.scale_heads[0](features[self.in_features[0]])
        for head, name in zip(self.scale_heads[1:], self.in_features[1:]):
            y = head(features[name])
            if y.shape[-2:] != x.shape[-2:]:
                y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=self.align_corners)
            x = x + y
        return self.classifier(self.dropout(x))
