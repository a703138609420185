"""ASPPHead: DeepLabv3's decode head, the ASPP, optionally torchvision's 3x3 conv, dropout and a classifier."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from .aspp import ASPP


def aspp_arguments(cfg, head_cfg, in_channels: int) -> dict:
    """The ASPP's constructor arguments: MODEL.ASPP's switches, as wide as the head's CHANNELS, its NORM."""
    a = cfg.MODEL.ASPP
    return dict(
        in_channels=in_channels, channels=head_cfg.CHANNELS, rates=tuple(a.RATES), norm=head_cfg.NORM,
        pool_position=a.POOL_POSITION, pool_norm=a.POOL_NORM, project_kernel=a.PROJECT_KERNEL, dropout=a.DROPOUT,
        separable=a.SEPARABLE,
    )


@HEAD_REGISTRY.register()
class ASPPHead(nn.Module):
    """``aspp`` -> ``post_conv`` (3x3 conv-norm-ReLU with ``post_conv``, torchvision's DeepLabHead; else an
    Identity) -> ``dropout`` -> 1x1 ``classifier``."""

    reads_one_map = True

    def __init__(
        self, in_feature: str, aspp: dict, num_classes: int, post_conv: bool = False, dropout: float = 0.1,
    ) -> None:
        """``aspp``: the :class:`ASPP`'s arguments (its ``channels`` and ``norm`` are the head's too)."""
        super().__init__()
        self.in_feature = in_feature
        self.aspp = ASPP(**aspp)
        channels = aspp["channels"]
        self.post_conv = ConvNormAct(channels, channels, 3, norm=aspp["norm"]) if post_conv else nn.Identity()
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, kernel_size=1)

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """The head node (IN_FEATURES, CHANNELS, NORM, DROPOUT), MODEL.ASPP and MODEL.DEEPLAB.POST_ASPP_CONV."""
        (feature,) = head_cfg.IN_FEATURES
        return dict(
            in_feature=feature, aspp=aspp_arguments(cfg, head_cfg, input_shape[feature].channels),
            num_classes=cfg.MODEL.NUM_CLASSES, post_conv=cfg.MODEL.DEEPLAB.POST_ASPP_CONV, dropout=head_cfg.DROPOUT,
        )

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.dropout(self.post_conv(self.aspp(features[self.in_feature]))))
