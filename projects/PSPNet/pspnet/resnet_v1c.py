"""ResNetV1c: the dilated ResNet of mmsegmentation's R50-D8 models, whose deep stem is half as wide.

mmsegmentation's deep stem is 3x3 convs of (base/2, base/2, base) channels (32, 32, 64 for the
standard net) where hszhao/semseg's is (base, base, 2*base); everything after the stem is the same
network. Module names are this toolbox's (conv1/bn1/conv2/bn2/conv3/bn3, layer1..layer4), so
mmsegmentation's ``resnet50_v1c`` ImageNet weights load through the ``mmseg_resnet_v1c`` converter.
"""
from __future__ import annotations

from typing import List

from torch import nn

from seg_engine.modeling import BACKBONE_REGISTRY, ShapeSpec
from seg_engine.modeling.backbone.resnet import ResNet
from seg_engine.modeling.layers import get_norm


class ResNetV1c(ResNet):
    """:class:`ResNet` with the (base/2, base/2, base) deep stem; a "basic" stem is unchanged."""

    def _build_stem(self, stem: str, base_width: int, norm: str) -> List[str]:
        if stem != "deep":
            return super()._build_stem(stem, base_width, norm)
        if base_width % 2:
            raise ValueError(f"MODEL.RESNETS.BASE_WIDTH must be even for ResNetV1c's stem, got {base_width}")
        half = base_width // 2
        self.conv1 = nn.Conv2d(3, half, 3, stride=2, padding=1, bias=False)
        self.bn1 = get_norm(norm, half)
        self.conv2 = nn.Conv2d(half, half, 3, padding=1, bias=False)
        self.bn2 = get_norm(norm, half)
        self.conv3 = nn.Conv2d(half, base_width, 3, padding=1, bias=False)
        self.bn3 = get_norm(norm, base_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self._out_shapes["stem"] = ShapeSpec(channels=base_width, stride=4)
        return ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3"]


@BACKBONE_REGISTRY.register()
def build_resnet_v1c_backbone(cfg) -> ResNetV1c:
    """The ResNetV1c described by ``cfg.MODEL.RESNETS`` and ``cfg.MODEL.BACKBONE.FREEZE_AT``."""
    r = cfg.MODEL.RESNETS
    return ResNetV1c(
        depth=r.DEPTH,
        stem=r.STEM,
        base_width=r.BASE_WIDTH,
        norm=r.NORM,
        output_stride=r.OUTPUT_STRIDE,
        first_block_dilation=r.FIRST_BLOCK_DILATION,
        out_features=list(r.OUT_FEATURES),
        freeze_at=cfg.MODEL.BACKBONE.FREEZE_AT,
    )
