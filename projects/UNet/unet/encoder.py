"""The U-Net paper's contracting path as a seg_engine backbone (its widths, no ImageNet weights)."""
from __future__ import annotations

from typing import Dict, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling import BACKBONE_REGISTRY, Backbone, ShapeSpec

from .layers import ConvStack


class UNetEncoder(Backbone):
    """Levels of ``num_convs`` 3x3 conv-norm-ReLU, a 2x2 max pool between levels.

    Features ``enc0`` (stride 1) .. ``enc<n-1>`` (stride 2^(n-1)), each after its level's convs:
    the skips of the expanding path and its bottom. ``stages.i`` holds level i's convs.
    """

    def __init__(
        self,
        widths: Sequence[int] = (64, 128, 256, 512, 1024),
        num_convs: int = 2,
        in_channels: int = 3,
        norm: str = "BN",
        padding: str = "same",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"MODEL.UNET_ENCODER.WIDTHS must be two or more positive widths, got {list(widths)!r}")
        if num_convs < 1:
            raise ValueError(f"MODEL.UNET_ENCODER.NUM_CONVS must be >= 1, got {num_convs!r}")
        channels = [in_channels, *widths]
        self.stages = nn.ModuleList(
            ConvStack(channels[i], [widths[i]] * num_convs, norm, padding) for i in range(len(widths))
        )
        self.dropout = nn.Dropout2d(dropout) if dropout else nn.Identity()
        self._out_features = [f"enc{i}" for i in range(len(widths))]
        self._out_shapes = {f"enc{i}": ShapeSpec(channels=w, stride=2**i) for i, w in enumerate(widths)}

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out = {}
        for i, stage in enumerate(self.stages):
            if i:
                x = F.max_pool2d(x, 2)
            x = stage(x)
            out[f"enc{i}"] = x
        out[self._out_features[-1]] = self.dropout(x)
        return out


@BACKBONE_REGISTRY.register()
def build_unet_encoder(cfg) -> UNetEncoder:
    """The encoder of MODEL.UNET_ENCODER with MODEL.UNET's NORM and PADDING."""
    e = cfg.MODEL.UNET_ENCODER
    return UNetEncoder(e.WIDTHS, e.NUM_CONVS, e.IN_CHANNELS, cfg.MODEL.UNET.NORM, cfg.MODEL.UNET.PADDING, e.DROPOUT)
