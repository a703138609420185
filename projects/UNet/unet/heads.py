"""UNetClassifierHead: one conv from a decoder feature to the classes (the paper's 1x1, smp's 3x3)."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec

KERNEL_SIZES = (1, 3)


@HEAD_REGISTRY.register()
class UNetClassifierHead(nn.Module):
    """``classifier``: a k x k conv with bias (k = MODEL.UNET_HEAD.KERNEL_SIZE) on the head's one map."""

    reads_one_map = True

    def __init__(self, in_feature: str, in_channels: int, num_classes: int, kernel_size: int = 1) -> None:
        super().__init__()
        if kernel_size not in KERNEL_SIZES:
            raise ValueError(f"MODEL.UNET_HEAD.KERNEL_SIZE must be 1 or 3, got {kernel_size!r}")
        self.in_feature = in_feature
        self.classifier = nn.Conv2d(in_channels, num_classes, kernel_size, padding=kernel_size // 2)

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        (feature,) = head_cfg.IN_FEATURES
        return dict(in_feature=feature, in_channels=input_shape[feature].channels, num_classes=cfg.MODEL.NUM_CLASSES,
                    kernel_size=cfg.MODEL.UNET_HEAD.KERNEL_SIZE)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(features[self.in_feature])
