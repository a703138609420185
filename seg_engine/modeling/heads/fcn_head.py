"""The FCN head: a few conv-norm-ReLU layers, dropout and a 1x1 classifier on one feature map."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from ..backbone.backbone import ShapeSpec
from ..layers import ConvNormAct
from ..registry import HEAD_REGISTRY


@HEAD_REGISTRY.register()
class FCNHead(nn.Module):
    """``num_convs`` 3x3 conv-norm-ReLU of ``channels``, then dropout and a 1x1 classifier, on ``in_feature``.

    ``concat_input`` is mmsegmentation's: a 3x3 conv-norm-ReLU (``conv_cat``) over the input concatenated with the
    convs' output, before the dropout and classifier (its fcn_r50-d8). ``dilation`` dilates the ``num_convs`` convs
    (mmsegmentation's fcn-d6 models), not ``conv_cat``.
    """

    reads_one_map = True

    def __init__(
        self, in_feature: str, in_channels: int, num_classes: int, channels: int = 512, num_convs: int = 1,
        norm: str = "BN", dropout: float = 0.1, concat_input: bool = False, dilation: int = 1,
    ) -> None:
        super().__init__()
        self.in_feature = in_feature
        layers = [ConvNormAct(in_channels if i == 0 else channels, channels, 3, dilation=dilation, norm=norm)
                  for i in range(num_convs)]
        self.convs = nn.Sequential(*layers)
        width = channels if num_convs else in_channels
        self.conv_cat = None
        if concat_input:
            self.conv_cat = ConvNormAct(in_channels + width, channels, 3, norm=norm)
            width = channels
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(width, num_classes, kernel_size=1)

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """``head_cfg`` (MODEL.HEAD or an auxiliary head's node): IN_FEATURES (one), CHANNELS, NUM_CONVS, NORM,
        DROPOUT, CONCAT_INPUT, DILATION."""
        (feature,) = head_cfg.IN_FEATURES
        return dict(
            in_feature=feature, in_channels=input_shape[feature].channels, num_classes=cfg.MODEL.NUM_CLASSES,
            channels=head_cfg.CHANNELS, num_convs=head_cfg.NUM_CONVS, norm=head_cfg.NORM, dropout=head_cfg.DROPOUT,
            concat_input=head_cfg.CONCAT_INPUT, dilation=head_cfg.DILATION,
        )

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        x = features[self.in_feature]
        y = self.convs(x)
        if self.conv_cat is not None:
            y = self.conv_cat(torch.cat([x, y], dim=1))
        return self.classifier(self.dropout(y))
