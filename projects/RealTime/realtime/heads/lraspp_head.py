"""The Lite R-ASPP head of Searching for MobileNetV3 (Howard et al., ICCV 2019), as torchvision's
``LRASPPHead``: the high-level map through a 1x1 conv-BN-ReLU, gated by a sigmoid of its pooled 1x1 conv,
enlarged to the low-level map and classified, plus a 1x1 classifier of the low-level map."""
from __future__ import annotations

from typing import Any, Dict

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.config import CfgNode
from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct


@HEAD_REGISTRY.register()
class LRASPPHead(nn.Module):
    """Reads the two maps its node's IN_FEATURES names, low-level first (torchvision: MobileNetV3-Large's
    stride-8 and dilated stride-16 maps); children ``cbr``, ``scale``, ``low_classifier``, ``high_classifier``
    as torchvision's."""

    def __init__(self, low_feature: str, high_feature: str, low_channels: int, high_channels: int, num_classes: int,
                 channels: int = 128, norm: str = "BN", align_corners: bool = False) -> None:
        super().__init__()
        self.low_feature, self.high_feature, self.align_corners = low_feature, high_feature, align_corners
        self.cbr = ConvNormAct(high_channels, channels, 1, norm=norm)
        self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(high_channels, channels, 1, bias=False), nn.Sigmoid())
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(channels, num_classes, 1)

    @classmethod
    def from_config(cls, cfg: CfgNode, head_cfg: CfgNode, input_shape: Dict[str, ShapeSpec]) -> Dict[str, Any]:
        if len(head_cfg.IN_FEATURES) != 2:
            raise ValueError(f"LRASPPHead reads two maps, the low-level one first: its IN_FEATURES must have two "
                             f"names, got {list(head_cfg.IN_FEATURES)}")
        low, high = head_cfg.IN_FEATURES
        return dict(low_feature=low, high_feature=high, low_channels=input_shape[low].channels,
                    high_channels=input_shape[high].channels, num_classes=cfg.MODEL.NUM_CLASSES,
                    channels=head_cfg.CHANNELS, norm=head_cfg.NORM, align_corners=cfg.MODEL.ALIGN_CORNERS)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        low, high = features[self.low_feature], features[self.high_feature]
        x = self.cbr(high) * self.scale(high)
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=self.align_corners)
        return self.low_classifier(low) + self.high_classifier(x)
