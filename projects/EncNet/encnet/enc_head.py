"""EncNet's decode head: conv-BN-ReLU, optional lateral fusion, Context Encoding Module, classifier."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
from torch import nn

from seg_engine.modeling.backbone import ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from .enc_module import EncModule

# The maps the lateral connections read (the reference's c2 and c3).
LATERAL_FEATURES = ("res3", "res4")


def dropout_layer(p: float, channel_wise: bool) -> nn.Module:
    """nn.Dropout as PyTorch-Encoding's heads, or nn.Dropout2d (whole channels) as FastFCN's and mmsegmentation's."""
    return nn.Dropout2d(p) if channel_wise else nn.Dropout(p)


class EncHead(nn.Module):
    """Returns ``(logits, se_logits)`` at the input feature's resolution; ``se_logits`` is None without SE-loss.

    ``head_cfg`` is MODEL.HEAD (IN_FEATURE, CHANNELS, NORM, DROPOUT); MODEL.ENCNET sets the codes,
    the SE classifier, the lateral connections and the first conv's kernel (BOTTLENECK_KERNEL; by
    default 1x1 on JPU outputs, as FastFCN, else 3x3).
    """

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        enc = cfg.MODEL.ENCNET
        self.in_feature = head_cfg.IN_FEATURE
        width, norm = head_cfg.CHANNELS, head_cfg.NORM
        kernel = enc.BOTTLENECK_KERNEL or (1 if enc.USE_JPU else 3)
        if kernel not in (1, 3):
            raise ValueError(f"MODEL.ENCNET.BOTTLENECK_KERNEL must be 0 (automatic), 1 or 3, got {enc.BOTTLENECK_KERNEL!r}")
        self.bottleneck = ConvNormAct(input_shape[self.in_feature].channels, width, kernel, norm=norm)
        self.lateral_convs: Optional[nn.ModuleList] = None
        if enc.LATERAL:
            missing = [name for name in LATERAL_FEATURES if name not in input_shape]
            if missing:
                raise ValueError(f"MODEL.ENCNET.LATERAL reads {missing}; add them to the backbone's OUT_FEATURES "
                                 "(MODEL.RESNETS, MODEL.TORCHVISION, MODEL.TIMM, ...)")
            strides = {name: input_shape[name].stride for name in (self.in_feature, *LATERAL_FEATURES)}
            if len(set(strides.values())) > 1:  # the laterals are concatenated unresized, as the authors'
                raise ValueError(
                    f"MODEL.ENCNET.LATERAL concatenates {list(strides)} at one resolution, but their strides are "
                    f"{list(strides.values())}; use a backbone at output stride 8 (the authors')"
                )
            self.lateral_convs = nn.ModuleList(
                ConvNormAct(input_shape[name].channels, width, 1, norm=norm) for name in LATERAL_FEATURES
            )
            self.fusion = ConvNormAct((1 + len(LATERAL_FEATURES)) * width, width, 3, norm=norm)
        self.enc_module = EncModule(width, enc.NUM_CODES, norm)
        self.dropout = dropout_layer(head_cfg.DROPOUT, enc.DROPOUT_2D)
        self.classifier = nn.Conv2d(width, cfg.MODEL.NUM_CLASSES, 1)
        self.se_classifier = nn.Linear(width, cfg.MODEL.NUM_CLASSES) if enc.SE_LOSS else None

    def forward(self, features: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        x = self.bottleneck(features[self.in_feature])
        if self.lateral_convs is not None:
            laterals = [conv(features[name]) for conv, name in zip(self.lateral_convs, LATERAL_FEATURES)]
            x = self.fusion(torch.cat([x, *laterals], dim=1))
        x, encoded = self.enc_module(x)
        logits = self.classifier(self.dropout(x))
        se_logits = self.se_classifier(encoded) if self.se_classifier is not None else None
        return logits, se_logits
