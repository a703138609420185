"""RefineNetHead: a cascade of RefineNet blocks from the coarsest backbone feature to the finest."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec

from .blocks import RefineBlock


@HEAD_REGISTRY.register()
class RefineNetHead(nn.Module):
    """The multi-path decoder of RefineNet (and, with 1x1 convs and no RCUs, Light-Weight RefineNet).

    Block i refines ``MODEL.REFINENET.IN_FEATURES[i]`` fused with block i-1's output; the last
    block's output (stride 4 for res2) goes through dropout (MODEL.HEAD.DROPOUT, element-wise as
    DrSleep's ``nn.Dropout``) and a 3x3 classifier with bias. Logits stay at that resolution; the
    meta-architecture upsamples them. The decoder has no normalization (MODEL.HEAD.NORM must be "").
    """

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        r = cfg.MODEL.REFINENET
        self.in_features = list(r.IN_FEATURES)
        missing = [f for f in self.in_features if f not in input_shape]
        if not self.in_features or missing:
            raise ValueError(
                f"MODEL.REFINENET.IN_FEATURES {self.in_features!r} must name backbone features; the backbone "
                f"gives {sorted(input_shape)} (add them to the backbone's OUT_FEATURES: MODEL.RESNETS, "
                "MODEL.TORCHVISION, MODEL.TIMM, ...)"
            )
        if head_cfg.NORM:
            raise ValueError(f"RefineNetHead has no normalization: MODEL.HEAD.NORM must be '', got {head_cfg.NORM!r}")
        unknown = [f for f in r.DROPOUT_FEATURES if f not in self.in_features]
        if unknown:
            raise ValueError(
                f"MODEL.REFINENET.DROPOUT_FEATURES {list(r.DROPOUT_FEATURES)!r} must be among "
                f"IN_FEATURES {self.in_features!r}"
            )
        for key, p in (("MODEL.REFINENET.FEATURE_DROPOUT", r.FEATURE_DROPOUT), ("MODEL.HEAD.DROPOUT", head_cfg.DROPOUT)):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"{key} must be in [0, 1), got {p!r}")
        self.dropout_features = set(r.DROPOUT_FEATURES)
        self.feature_dropout = nn.Dropout(r.FEATURE_DROPOUT)
        widths = [r.TOP_CHANNELS or head_cfg.CHANNELS] + [head_cfg.CHANNELS] * (len(self.in_features) - 1)
        self.blocks = nn.ModuleList(
            RefineBlock(
                input_shape[name].channels,
                width,
                widths[i - 1] if i else None,
                r.ADAPT_RCUS,
                r.CRP_STAGES,
                r.OUTPUT_RCUS,
                r.KERNEL_SIZE,
            )
            for i, (name, width) in enumerate(zip(self.in_features, widths))
        )
        self.dropout = nn.Dropout(head_cfg.DROPOUT)
        self.classifier = nn.Conv2d(widths[-1], cfg.MODEL.NUM_CLASSES, 3, padding=1, bias=True)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        x = None
        for name, block in zip(self.in_features, self.blocks):
            feature = features[name]
            if name in self.dropout_features:
                feature = self.feature_dropout(feature)
            x = block(feature, x)
        return self.classifier(self.dropout(x))
