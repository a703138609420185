"""The semantic segmentation branch of Panoptic FPN (Kirillov et al., CVPR 2019), detectron2's SemSegFPNHead."""
from __future__ import annotations

import math
from typing import Dict

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

    ``head_cfg`` (MODEL.HEAD) gives CHANNELS (128), NORM (detectron2 and smp "GN", mmsegmentation
    "BN") and DROPOUT (detectron2 0, mmsegmentation 0.1, smp 0.2; a Dropout2d in the latter two);
    MODEL.SEM_SEG_FPN.IN_FEATURES the levels; MODEL.ALIGN_CORNERS the up-samplings' (smp: True).
    A level whose up-sampled map is not the finest level's size (an input whose sides are not
    multiples of the coarsest stride) is resized to it, as mmsegmentation does.
    """

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        self.in_features = list(cfg.MODEL.SEM_SEG_FPN.IN_FEATURES)
        missing = [name for name in self.in_features if name not in input_shape]
        if missing or not self.in_features:
            raise ValueError(
                f"MODEL.SEM_SEG_FPN.IN_FEATURES {self.in_features} are not all among the maps {sorted(input_shape)}"
            )
        self.align_corners = cfg.MODEL.ALIGN_CORNERS
        strides = [input_shape[name].stride for name in self.in_features]
        common_stride = strides[0]
        if min(strides) != common_stride:
            raise ValueError(f"MODEL.SEM_SEG_FPN.IN_FEATURES must start with the finest level, got strides {strides}")
        channels = head_cfg.CHANNELS
        self.scale_heads = nn.ModuleList()
        for name, stride in zip(self.in_features, strides):
            units = []
            for k in range(max(1, int(math.log2(stride / common_stride)))):
                units.append(ConvNormAct(input_shape[name].channels if k == 0 else channels, channels, 3, norm=head_cfg.NORM))
                if stride != common_stride:
                    units.append(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=self.align_corners))
            self.scale_heads.append(nn.Sequential(*units))
        self.dropout = nn.Dropout2d(head_cfg.DROPOUT)
        self.classifier = nn.Conv2d(channels, cfg.MODEL.NUM_CLASSES, kernel_size=1)
        self._init_weights()

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
