"""PPMHead: PSPNet's decode head, pyramid pooling then a 3x3 conv, dropout and a 1x1 classifier."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from .pyramid_pooling import PyramidPooling


@HEAD_REGISTRY.register()
class PPMHead(nn.Module):
    """``head_cfg`` (MODEL.HEAD) gives IN_FEATURE, CHANNELS, NORM and DROPOUT; MODEL.PSP the bins.

    With ResNet-50 (2048 channels) and the defaults it is the authors' ``ppm`` + ``cls``:
    4 branches of 512 channels, 4096 -> 512 3x3 conv, BN, ReLU, Dropout2d(0.1), 512 -> classes.
    """

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        self.in_feature = head_cfg.IN_FEATURE
        in_channels = input_shape[self.in_feature].channels
        bins = tuple(cfg.MODEL.PSP.BINS)
        if not bins or min(bins) < 1:
            raise ValueError(f"MODEL.PSP.BINS must be positive grid sizes, got {bins!r}")
        reduction = cfg.MODEL.PSP.REDUCTION_CHANNELS or in_channels // len(bins)
        if reduction < 1:
            raise ValueError(
                f"PPMHead: {in_channels} input channels cannot be split over {len(bins)} bins; "
                "set MODEL.PSP.REDUCTION_CHANNELS"
            )
        self.ppm = PyramidPooling(in_channels, reduction, bins, head_cfg.NORM, cfg.MODEL.ALIGN_CORNERS)
        self.bottleneck = ConvNormAct(self.ppm.out_channels, head_cfg.CHANNELS, 3, norm=head_cfg.NORM)
        self.dropout = nn.Dropout2d(head_cfg.DROPOUT)
        self.classifier = nn.Conv2d(head_cfg.CHANNELS, cfg.MODEL.NUM_CLASSES, kernel_size=1)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.dropout(self.bottleneck(self.ppm(features[self.in_feature]))))
