"""UNetClassifierHead: one conv from a decoder feature to the classes (the paper's 1x1, smp's 3x3)."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec


@HEAD_REGISTRY.register()
class UNetClassifierHead(nn.Module):
    """``classifier``: a k x k conv with bias (k = MODEL.UNET.HEAD_KERNEL_SIZE) on ``head_cfg.IN_FEATURE``."""

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        k = cfg.MODEL.UNET.HEAD_KERNEL_SIZE
        if k not in (1, 3):
            raise ValueError(f"MODEL.UNET.HEAD_KERNEL_SIZE must be 1 or 3, got {k!r}")
        self.in_feature = head_cfg.IN_FEATURE
        self.classifier = nn.Conv2d(input_shape[self.in_feature].channels, cfg.MODEL.NUM_CLASSES, k, padding=k // 2)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(features[self.in_feature])
