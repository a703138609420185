"""Mask2Former's set-prediction loss (the authors' SetCriterion for semantic segmentation).

Per decoder output: match queries to the ground-truth masks (:class:`HungarianMatcher`), then
``loss_ce``: cross-entropy of every query's class logits, unmatched queries against "no object"
(weighted NO_OBJECT_WEIGHT); ``loss_mask`` / ``loss_dice``: sigmoid BCE and dice loss of the matched
masks on TRAIN_NUM_POINTS points sampled by uncertainty, normalised by the number of target masks in
the batch (averaged over processes). Deep supervision repeats this for every earlier prediction
(``loss_ce_0`` .. ``loss_dice_<L-1>``). Returned losses are already weighted (2 / 5 / 5).
"""
from __future__ import annotations

from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.utils import comm

from .matcher import HungarianMatcher
from .point_sampling import Rand, point_sample, uncertain_point_coords


def sigmoid_ce_loss(logits: torch.Tensor, targets: torch.Tensor, num_masks: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, targets, reduction="none").mean(1).sum() / num_masks


def dice_loss(logits: torch.Tensor, targets: torch.Tensor, num_masks: float) -> torch.Tensor:
    probs = logits.sigmoid()
    numerator = 2 * (probs * targets).sum(-1)
    denominator = probs.sum(-1) + targets.sum(-1)
    return (1 - (numerator + 1) / (denominator + 1)).sum() / num_masks


class SetCriterion(nn.Module):
    """``criterion(outputs, targets) -> {name: weighted loss}``; ``rand`` is the point-sampling seam
    (shared with the matcher)."""

    def __init__(
        self,
        num_classes: int,
        class_weight: float = 2.0,
        mask_weight: float = 5.0,
        dice_weight: float = 5.0,
        no_object_weight: float = 0.1,
        num_points: int = 12544,
        oversample_ratio: float = 3.0,
        importance_sample_ratio: float = 0.75,
        rand: Rand = torch.rand,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.weights = {"loss_ce": class_weight, "loss_mask": mask_weight, "loss_dice": dice_weight}
        self.matcher = HungarianMatcher(class_weight, mask_weight, dice_weight, num_points, rand)
        empty_weight = torch.ones(num_classes + 1)
        empty_weight[-1] = no_object_weight
        self.register_buffer("empty_weight", empty_weight, persistent=False)
        self.num_points = num_points
        self.oversample_ratio = oversample_ratio
        self.importance_sample_ratio = importance_sample_ratio

    @property
    def rand(self) -> Rand:
        return self.matcher.rand

    @rand.setter
    def rand(self, fn: Rand) -> None:
        self.matcher.rand = fn

    @classmethod
    def from_config(cls, cfg) -> dict:
        m = cfg.MODEL.MASK_FORMER
        return {
            "num_classes": cfg.MODEL.NUM_CLASSES,
            "class_weight": m.CLASS_WEIGHT,
            "mask_weight": m.MASK_WEIGHT,
            "dice_weight": m.DICE_WEIGHT,
            "no_object_weight": m.NO_OBJECT_WEIGHT,
            "num_points": m.TRAIN_NUM_POINTS,
            "oversample_ratio": m.OVERSAMPLE_RATIO,
            "importance_sample_ratio": m.IMPORTANCE_SAMPLE_RATIO,
        }

    def forward(self, outputs: Dict[str, object], targets: List[dict]) -> Dict[str, torch.Tensor]:
        num_masks = torch.as_tensor(float(sum(len(t["labels"]) for t in targets)), device=self.empty_weight.device)
        num_masks = (comm.all_reduce_sum(num_masks) / comm.get_world_size()).clamp(min=1).item()
        losses = self.output_losses(outputs["pred_logits"], outputs["pred_masks"], targets, num_masks)
        for i, aux in enumerate(outputs.get("aux_outputs", [])):
            aux_losses = self.output_losses(aux["pred_logits"], aux["pred_masks"], targets, num_masks)
            losses.update({f"{k}_{i}": v for k, v in aux_losses.items()})
        return losses

    def output_losses(self, logits: torch.Tensor, masks: torch.Tensor, targets: List[dict],
                      num_masks: float) -> Dict[str, torch.Tensor]:
        """The weighted losses of one decoder output (N x Q x (C+1) logits, N x Q x h x w masks)."""
        indices = self.matcher(logits, masks, targets)
        batch_idx = torch.cat([torch.full_like(src, i) for i, (src, _) in enumerate(indices)]).to(logits.device)
        src_idx = torch.cat([src for src, _ in indices]).to(logits.device)
        target_classes = torch.full(logits.shape[:2], self.num_classes, dtype=torch.int64, device=logits.device)
        target_classes[batch_idx, src_idx] = torch.cat([t["labels"][j.to(t["labels"].device)] for t, (_, j) in zip(targets, indices)])
        loss_ce = F.cross_entropy(logits.float().transpose(1, 2), target_classes, self.empty_weight)

        src_masks = masks[batch_idx, src_idx][:, None].float()
        tgt_masks = torch.cat([t["masks"][j.to(t["masks"].device)] for t, (_, j) in zip(targets, indices)])[:, None]
        with torch.no_grad():
            coords = uncertain_point_coords(
                src_masks, self.num_points, self.oversample_ratio, self.importance_sample_ratio, self.rand
            )
            point_labels = point_sample(tgt_masks.to(src_masks), coords)[:, 0]
        point_logits = point_sample(src_masks, coords)[:, 0]
        losses = {
            "loss_ce": loss_ce,
            "loss_mask": sigmoid_ce_loss(point_logits, point_labels, num_masks),
            "loss_dice": dice_loss(point_logits, point_labels, num_masks),
        }
        return {k: self.weights[k] * v for k, v in losses.items()}
