"""RefineNetHead: a cascade of RefineNet blocks from the coarsest backbone feature to the finest."""
from __future__ import annotations

from typing import Dict, Sequence

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec

from .blocks import RefineBlock


@HEAD_REGISTRY.register()
class RefineNetHead(nn.Module):
    """The multi-path decoder of RefineNet (and, with 1x1 convs and no RCUs, Light-Weight RefineNet).

    Block i refines ``in_features[i]`` (coarsest first: res5, res4, res3, res2) fused with block i-1's output; the
    last block's output (stride 4 for res2) goes through dropout (element-wise as DrSleep's ``nn.Dropout``) and a
    3x3 classifier with bias. Logits stay at that resolution; the engine upsamples them. The decoder has no
    normalization (the head node's NORM must be "").
    """

    def __init__(
        self, input_shape: Dict[str, ShapeSpec], in_features: Sequence[str], num_classes: int, channels: int = 256,
        top_channels: int = 512, kernel_size: int = 3, adapt_rcus: int = 2, crp_stages: int = 4,
        output_rcus: int = 3, feature_dropout: float = 0.5, dropout_features: Sequence[str] = ("res5", "res4"),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_features = list(in_features)
        unknown = [f for f in dropout_features if f not in self.in_features]
        if unknown:
            raise ValueError(
                f"MODEL.REFINENET.DROPOUT_FEATURES {list(dropout_features)!r} must be among the head's "
                f"IN_FEATURES {self.in_features!r}"
            )
        for key, p in (("MODEL.REFINENET.FEATURE_DROPOUT", feature_dropout), ("the head's DROPOUT", dropout)):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"{key} must be in [0, 1), got {p!r}")
        self.dropout_features = set(dropout_features)
        self.feature_dropout = nn.Dropout(feature_dropout)
        widths = [top_channels or channels] + [channels] * (len(self.in_features) - 1)
        self.blocks = nn.ModuleList(
            RefineBlock(
                input_shape[name].channels, width, widths[i - 1] if i else None, adapt_rcus, crp_stages, output_rcus,
                kernel_size,
            )
            for i, (name, width) in enumerate(zip(self.in_features, widths))
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Conv2d(widths[-1], num_classes, 3, padding=1, bias=True)

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """The head node (IN_FEATURES coarsest first, CHANNELS, DROPOUT; NORM must be "") and MODEL.REFINENET."""
        if head_cfg.NORM:
            raise ValueError(f"RefineNetHead has no normalization: its NORM must be '', got {head_cfg.NORM!r}")
        r = cfg.MODEL.REFINENET
        return dict(
            input_shape=input_shape, in_features=head_cfg.IN_FEATURES, num_classes=cfg.MODEL.NUM_CLASSES,
            channels=head_cfg.CHANNELS, top_channels=r.TOP_CHANNELS, kernel_size=r.KERNEL_SIZE,
            adapt_rcus=r.ADAPT_RCUS, crp_stages=r.CRP_STAGES, output_rcus=r.OUTPUT_RCUS,
            feature_dropout=r.FEATURE_DROPOUT, dropout_features=r.DROPOUT_FEATURES, dropout=head_cfg.DROPOUT,
        )

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        x = None
        for name, block in zip(self.in_features, self.blocks):
            feature = features[name]
            if name in self.dropout_features:
                feature = self.feature_dropout(feature)
            x = block(feature, x)
        return self.classifier(self.dropout(x))
