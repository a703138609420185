"""The backbone contract: a module returning named feature maps with known channels and strides."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import torch
from torch import nn


@dataclass(frozen=True)
class ShapeSpec:
    channels: int
    stride: int


class Backbone(nn.Module):
    """Subclasses fill ``self._out_features`` (ordered names) and ``self._out_shapes``."""

    _out_features: list
    _out_shapes: Dict[str, ShapeSpec]

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return {name: self._out_shapes[name] for name in self._out_features}
