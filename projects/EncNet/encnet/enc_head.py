"""EncNet's decode head: conv-BN-ReLU, optional lateral fusion, Context Encoding Module, classifier."""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from .enc_module import EncModule

# The maps the lateral connections read (the reference's c2 and c3).
LATERAL_FEATURES = ("res3", "res4")


def dropout_layer(p: float, channel_wise: bool) -> nn.Module:
    """nn.Dropout as PyTorch-Encoding's heads, or nn.Dropout2d (whole channels) as FastFCN's and mmsegmentation's."""
    return nn.Dropout2d(p) if channel_wise else nn.Dropout(p)


@HEAD_REGISTRY.register()
class EncHead(nn.Module):
    """Returns ``(logits, se_logits)`` at the input feature's resolution; ``se_logits`` is None without SE-loss
    (the ``EncNet`` meta-architecture turns it into its loss).

    ``bottleneck`` (conv-norm-ReLU, 3x3 or FastFCN's 1x1 on the JPU output), optional ``lateral_convs`` of res3 and
    res4 with a ``fusion`` conv, the ``enc_module``, dropout and the ``classifier``; ``se_classifier`` predicts the
    classes present.
    """

    reads_one_map = True

    def __init__(
        self, in_feature: str, input_shape: Dict[str, ShapeSpec], num_classes: int, channels: int = 512,
        norm: str = "BN", dropout: float = 0.1, num_codes: int = 32, se_loss: bool = True, lateral: bool = False,
        bottleneck_kernel: int = 3, dropout_2d: bool = False,
    ) -> None:
        super().__init__()
        if bottleneck_kernel not in (1, 3):
            raise ValueError(f"MODEL.ENCNET.BOTTLENECK_KERNEL must be 0 (automatic), 1 or 3, got {bottleneck_kernel!r}")
        self.in_feature = in_feature
        self.bottleneck = ConvNormAct(input_shape[in_feature].channels, channels, bottleneck_kernel, norm=norm)
        self.lateral_convs: Optional[nn.ModuleList] = None
        if lateral:
            missing = [name for name in LATERAL_FEATURES if name not in input_shape]
            if missing:
                raise ValueError(f"MODEL.ENCNET.LATERAL reads {missing}; add them to the backbone's OUT_FEATURES "
                                 "(MODEL.RESNETS, MODEL.TORCHVISION, MODEL.TIMM, ...)")
            strides = {name: input_shape[name].stride for name in (in_feature, *LATERAL_FEATURES)}
            if len(set(strides.values())) > 1:  # the laterals are concatenated unresized, as the authors'
                raise ValueError(
                    f"MODEL.ENCNET.LATERAL concatenates {list(strides)} at one resolution, but their strides are "
                    f"{list(strides.values())}; use a backbone at output stride 8 without a neck (the authors')"
                )
            self.lateral_convs = nn.ModuleList(
                ConvNormAct(input_shape[name].channels, channels, 1, norm=norm) for name in LATERAL_FEATURES
            )
            self.fusion = ConvNormAct((1 + len(LATERAL_FEATURES)) * channels, channels, 3, norm=norm)
        self.enc_module = EncModule(channels, num_codes, norm)
        self.dropout = dropout_layer(dropout, dropout_2d)
        self.classifier = nn.Conv2d(channels, num_classes, 1)
        self.se_classifier = nn.Linear(channels, num_classes) if se_loss else None

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """The head node (IN_FEATURES, CHANNELS, NORM, DROPOUT) and MODEL.ENCNET."""
        enc = cfg.MODEL.ENCNET
        return dict(
            in_feature=head_cfg.IN_FEATURES[0], input_shape=input_shape, num_classes=cfg.MODEL.NUM_CLASSES,
            channels=head_cfg.CHANNELS, norm=head_cfg.NORM, dropout=head_cfg.DROPOUT, num_codes=enc.NUM_CODES,
            se_loss=enc.SE_LOSS, lateral=enc.LATERAL, bottleneck_kernel=enc.BOTTLENECK_KERNEL,
            dropout_2d=enc.DROPOUT_2D,
        )

    def forward(self, features: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        x = self.bottleneck(features[self.in_feature])
        if self.lateral_convs is not None:
            laterals = [conv(features[name]) for conv, name in zip(self.lateral_convs, LATERAL_FEATURES)]
            x = self.fusion(torch.cat([x, *laterals], dim=1))
        x, encoded = self.enc_module(x)
        logits = self.classifier(self.dropout(x))
        se_logits = self.se_classifier(encoded) if self.se_classifier is not None else None
        return logits, se_logits
