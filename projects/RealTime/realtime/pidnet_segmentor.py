"""PIDNet's losses, which differ per output and mix two outputs (so a meta-architecture of its own)."""
from __future__ import annotations

from typing import Dict, List

import torch

from seg_engine.config import CfgNode
from seg_engine.modeling import META_ARCH_REGISTRY
from seg_engine.modeling.losses import CrossEntropy, upsample_logits

from .heads import BoundaryHead
from .realtime_segmentor import RealTimeSegmentor


@META_ARCH_REGISTRY.register()
class PIDNetSegmentor(RealTimeSegmentor):
    """RealTimeSegmentor with PIDNet's losses (the authors' and mmseg's PIDHead):

    - the I head ("sem_seg") by MODEL.LOSS (OHEMCrossEntropy in the recipes);
    - the P head (the first auxiliary head that is not the BoundaryHead) by the plain class-weighted
      cross-entropy averaged over the valid pixels' weights (PyTorch's mean, the authors' ``_ce_forward``);
    - the D head (the BoundaryHead) by its weighted BCE on the targets' edges;
    - ``loss_sem_bd``: MODEL.LOSS of the I head on the pixels where the sigmoid of the boundary logit exceeds
      MODEL.REALTIME.BOUNDARY.SEM_THRESHOLD, times SEM_WEIGHT.
    """

    def build_heads(self, cfg: CfgNode) -> None:
        super().build_heads(cfg)
        boundary = [out for out, module in self.aux_outputs.items() if isinstance(getattr(self, module), BoundaryHead)]
        if len(boundary) != 1:
            raise ValueError("PIDNetSegmentor needs one auxiliary head named BoundaryHead in MODEL.AUX_HEADS, "
                             f"got {len(boundary)}")
        self.boundary_output = boundary[0]
        self.sem_bd_threshold = cfg.MODEL.REALTIME.BOUNDARY.SEM_THRESHOLD
        self.sem_bd_weight = cfg.MODEL.REALTIME.BOUNDARY.SEM_WEIGHT
        self.cross_entropy_outputs = [out for out in self.aux_outputs if out != self.boundary_output]
        self.cross_entropy = CrossEntropy(**{**CrossEntropy.from_config(cfg), "average": "valid"})

    def losses(self, outputs: Dict[str, torch.Tensor], targets: torch.Tensor, batched_inputs: List[dict]) -> Dict[str, torch.Tensor]:
        plain = {out: outputs[out] for out in self.cross_entropy_outputs if out in outputs}
        losses = super().losses({k: v for k, v in outputs.items() if k not in plain}, targets, batched_inputs)
        for out, logits in plain.items():
            logits = upsample_logits(logits, targets.shape[-2:], self.loss_align_corners[out])
            losses[f"loss_{out}"] = self.loss_weights[out] * self.cross_entropy(logits, targets)
        if self.boundary_output in outputs:
            align = self.loss_align_corners[self.boundary_output]
            boundary = upsample_logits(outputs[self.boundary_output], targets.shape[-2:], align)[:, 0]
            on_edges = torch.where(boundary.sigmoid() > self.sem_bd_threshold, targets, self.ignore_value)
            losses["loss_sem_bd"] = self.sem_bd_weight * self.pixel_loss(outputs["sem_seg"], on_edges)
        return losses
