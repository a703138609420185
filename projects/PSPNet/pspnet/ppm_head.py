"""PPMHead: PSPNet's decode head, pyramid pooling then a 3x3 conv, dropout and a 1x1 classifier."""
from __future__ import annotations

from typing import Dict, Sequence

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct, PyramidPooling


@HEAD_REGISTRY.register()
class PPMHead(nn.Module):
    """``ppm`` (pyramid pooling of ``in_feature``), ``bottleneck`` (3x3 conv-norm-ReLU), dropout, ``classifier``.

    With ResNet-50 (2048 channels) and the defaults it is the authors' ``ppm`` + ``cls``:
    4 branches of 512 channels, 4096 -> 512 3x3 conv, BN, ReLU, Dropout2d(0.1), 512 -> classes.
    """

    reads_one_map = True

    def __init__(
        self, in_feature: str, in_channels: int, num_classes: int, bins: Sequence[int] = (1, 2, 3, 6),
        reduction_channels: int = 0, channels: int = 512, norm: str = "BN", dropout: float = 0.1,
        align_corners: bool = True,
    ) -> None:
        super().__init__()
        bins = tuple(bins)
        if not bins or min(bins) < 1:
            raise ValueError(f"MODEL.PSP.BINS must be positive grid sizes, got {bins!r}")
        reduction = reduction_channels or in_channels // len(bins)
        if reduction < 1:
            raise ValueError(
                f"PPMHead: {in_channels} input channels cannot be split over {len(bins)} bins; "
                "set MODEL.PSP.REDUCTION_CHANNELS"
            )
        self.in_feature = in_feature
        self.ppm = PyramidPooling(in_channels, reduction, bins, norm, align_corners)
        self.bottleneck = ConvNormAct(self.ppm.out_channels, channels, 3, norm=norm)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, kernel_size=1)

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """The head node gives IN_FEATURES, CHANNELS, NORM and DROPOUT; MODEL.PSP the bins and branch width."""
        (feature,) = head_cfg.IN_FEATURES
        return dict(
            in_feature=feature, in_channels=input_shape[feature].channels, num_classes=cfg.MODEL.NUM_CLASSES,
            bins=cfg.MODEL.PSP.BINS, reduction_channels=cfg.MODEL.PSP.REDUCTION_CHANNELS, channels=head_cfg.CHANNELS,
            norm=head_cfg.NORM, dropout=head_cfg.DROPOUT, align_corners=cfg.MODEL.ALIGN_CORNERS,
        )

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.dropout(self.bottleneck(self.ppm(features[self.in_feature]))))
