"""PIDNet's boundary-aware semantic loss, which mixes two outputs (so a meta-architecture of its own)."""
from __future__ import annotations

from typing import Dict, List

import torch

from seg_engine.config import CfgNode
from seg_engine.modeling import META_ARCH_REGISTRY
from seg_engine.modeling.losses import upsample_logits

from .heads import BoundaryHead
from .realtime_segmentor import RealTimeSegmentor


@META_ARCH_REGISTRY.register()
class PIDNetSegmentor(RealTimeSegmentor):
    """RealTimeSegmentor plus ``loss_sem_bd``: the decode head's loss (the same cross-entropy and OHEM as
    "sem_seg") on the pixels where the sigmoid of the BoundaryHead's logit exceeds
    MODEL.REALTIME.BOUNDARY.SEM_THRESHOLD, times SEM_WEIGHT (mmseg's PIDHead ``loss_sem_bd``)."""

    def build_heads(self, cfg: CfgNode) -> None:
        super().build_heads(cfg)
        boundary = [output for output, module in self.aux_outputs if isinstance(getattr(self, module), BoundaryHead)]
        if len(boundary) != 1:
            raise ValueError("PIDNetSegmentor needs one auxiliary head named BoundaryHead in MODEL.REALTIME.AUX_HEADS, "
                             f"got {len(boundary)}")
        self.boundary_output = boundary[0]
        self.sem_bd_threshold = cfg.MODEL.REALTIME.BOUNDARY.SEM_THRESHOLD
        self.sem_bd_weight = cfg.MODEL.REALTIME.BOUNDARY.SEM_WEIGHT

    def losses(self, outputs: Dict[str, torch.Tensor], targets: torch.Tensor, batched_inputs: List[dict]) -> Dict[str, torch.Tensor]:
        losses = super().losses(outputs, targets, batched_inputs)
        if self.boundary_output in outputs:
            align = self.loss_align_corners[self.boundary_output]
            boundary = upsample_logits(outputs[self.boundary_output], targets.shape[-2:], align)[:, 0]
            on_edges = torch.where(boundary.sigmoid() > self.sem_bd_threshold, targets, self.ignore_value)
            losses["loss_sem_bd"] = self.sem_bd_weight * self.seg_loss("sem_seg", outputs["sem_seg"], on_edges)
        return losses
