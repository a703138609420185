"""PIDNet's boundary (D) head: the pre-activation head with one output, trained on the targets' edges."""
from __future__ import annotations

from typing import Any, Dict

import torch

from seg_engine.config import CfgNode
from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.losses import upsample_logits

from ..losses import boundary_loss, boundary_targets
from .preact_head import PreActSegHead


@HEAD_REGISTRY.register()
class BoundaryHead(PreActSegHead):
    """One boundary logit per pixel; ``losses`` is PIDNet's weighted BCE against the edges of the targets
    (MODEL.REALTIME.BOUNDARY.EDGE_WIDTH wide), the logits resized with ``align_corners``."""

    def __init__(self, in_feature: str, in_channels: int, channels: int, norm: str = "BN", dropout: float = 0.0,
                 edge_width: int = 4, ignore_value: int = 255, align_corners: bool = False) -> None:
        super().__init__(in_feature, in_channels, channels, 1, norm, dropout)
        self.edge_width, self.ignore_value, self.align_corners = edge_width, ignore_value, align_corners

    @classmethod
    def from_config(cls, cfg: CfgNode, head_cfg: CfgNode, input_shape: Dict[str, ShapeSpec]) -> Dict[str, Any]:
        kwargs = super().from_config(cfg, head_cfg, input_shape)
        del kwargs["out_channels"]
        return dict(kwargs, edge_width=cfg.MODEL.REALTIME.BOUNDARY.EDGE_WIDTH, ignore_value=cfg.MODEL.IGNORE_VALUE,
                    align_corners=cfg.MODEL.ALIGN_CORNERS)

    def losses(self, logits: torch.Tensor, targets: torch.Tensor) -> Dict[str, torch.Tensor]:
        edges = boundary_targets(targets, self.ignore_value, self.edge_width)
        return {"bce": boundary_loss(upsample_logits(logits, targets.shape[-2:], self.align_corners), edges)}
