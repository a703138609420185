"""SegFormer's all-MLP decode head, in the authors' form and in mmsegmentation's."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.layers import ConvNormAct

from .config import HEAD_FORMS


@HEAD_REGISTRY.register()
class SegFormerHead(nn.Module):
    """The all-MLP head: each level to ``channels`` by a per-pixel linear map, all brought to the finest level's size
    (bilinear, align_corners=False in every reference), concatenated, fused by a 1x1 conv-norm-ReLU, then
    dropout and a 1x1 classifier. Logits at the finest level's stride (1/4 with MiT).

    ``form`` "nvlabs" (the authors' ``SegFormerHead``, transformers' ``SegformerDecodeHead``, smp's
    ``SegformerDecoder``): the map is a Linear with bias and levels are concatenated deepest first.
    "mmseg" (mmsegmentation's ``SegformerHead``): the map is a 1x1 conv-norm-ReLU and levels are
    concatenated finest first. ``channel_dropout``: Dropout2d (NVlabs, mmseg) or nn.Dropout (transformers).
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        in_features: Sequence[str],
        channels: int,
        num_classes: int,
        form: str = "nvlabs",
        norm: str = "BN",
        dropout: float = 0.1,
        channel_dropout: bool = True,
    ) -> None:
        super().__init__()
        if form not in HEAD_FORMS:
            raise ValueError(f"MODEL.SEGFORMER.HEAD_FORM must be one of {HEAD_FORMS}, got {form!r}")
        if len(in_channels) != len(in_features) or not in_features:
            raise ValueError(f"SegFormerHead: {len(in_features)} features but {len(in_channels)} input widths")
        self.in_features = list(in_features)
        self.form = form
        if form == "nvlabs":
            self.embeds = nn.ModuleList(nn.Linear(c, channels) for c in in_channels)
        else:
            self.embeds = nn.ModuleList(ConvNormAct(c, channels, 1, norm=norm) for c in in_channels)
        self.fuse = ConvNormAct(channels * len(in_channels), channels, 1, norm=norm)
        self.dropout = (nn.Dropout2d if channel_dropout else nn.Dropout)(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, 1)
        nn.init.normal_(self.classifier.weight, 0.0, 0.01)
        nn.init.zeros_(self.classifier.bias)

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> Dict[str, Any]:
        """The constructor's arguments: levels (finest first), width, norm and dropout rate from ``head_cfg``
        (MODEL.HEAD: IN_FEATURES, CHANNELS, NORM, DROPOUT), the form and dropout kind from MODEL.SEGFORMER."""
        in_features = list(head_cfg.IN_FEATURES)
        return dict(
            in_channels=[input_shape[f].channels for f in in_features], in_features=in_features,
            channels=head_cfg.CHANNELS, num_classes=cfg.MODEL.NUM_CLASSES, form=cfg.MODEL.SEGFORMER.HEAD_FORM,
            norm=head_cfg.NORM, dropout=head_cfg.DROPOUT, channel_dropout=cfg.MODEL.SEGFORMER.CHANNEL_DROPOUT,
        )

    def _embed(self, embed: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if self.form == "nvlabs":
            return embed(x.movedim(1, -1)).movedim(-1, 1)
        return embed(x)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        maps = [features[f] for f in self.in_features]
        size = maps[0].shape[-2:]
        levels: List[torch.Tensor] = []
        for embed, x in zip(self.embeds, maps):
            y = self._embed(embed, x)
            if y.shape[-2:] != size:
                y = F.interpolate(y, size=size, mode="bilinear", align_corners=False)
            levels.append(y)
        if self.form == "nvlabs":
            levels.reverse()
        return self.classifier(self.dropout(self.fuse(torch.cat(levels, dim=1))))

