"""Hungarian matching of predicted masks to ground-truth masks, one image at a time (the authors' matcher).

The cost of query q for target t: CLASS_WEIGHT * (-p_q(class_t)) + MASK_WEIGHT * mean sigmoid BCE +
DICE_WEIGHT * dice loss, the masks compared on the same TRAIN_NUM_POINTS uniform random points of both;
scipy's ``linear_sum_assignment`` picks the assignment of least total cost.
"""
from __future__ import annotations

from typing import List, Tuple

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

from .point_sampling import Rand, point_sample


def pairwise_sigmoid_ce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Q x T mean binary cross-entropy of Q x P point logits against T x P binary targets."""
    points = logits.shape[1]
    pos = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits), reduction="none")
    neg = F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits), reduction="none")
    return (pos @ targets.T + neg @ (1 - targets).T) / points


def pairwise_dice(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Q x T dice loss (with +1 smoothing) of Q x P point logits against T x P binary targets."""
    probs = logits.sigmoid()
    numerator = 2 * probs @ targets.T
    denominator = probs.sum(-1)[:, None] + targets.sum(-1)[None, :]
    return 1 - (numerator + 1) / (denominator + 1)


class HungarianMatcher:
    """``match(pred_logits, pred_masks, targets) -> [(query indices, target indices)] per image``."""

    def __init__(self, cost_class: float = 2.0, cost_mask: float = 5.0, cost_dice: float = 5.0,
                 num_points: int = 12544, rand: Rand = torch.rand) -> None:
        if cost_class == 0 and cost_mask == 0 and cost_dice == 0:
            raise ValueError("the matching costs (MODEL.MASK_FORMER.*_WEIGHT) cannot all be 0")
        self.cost_class, self.cost_mask, self.cost_dice = cost_class, cost_mask, cost_dice
        self.num_points = num_points
        self.rand = rand

    @torch.no_grad()
    def __call__(self, pred_logits: torch.Tensor, pred_masks: torch.Tensor,
                 targets: List[dict]) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        """pred_logits: N x Q x (C+1); pred_masks: N x Q x h x w; targets: per image ``labels`` (T) and
        ``masks`` (T x H x W, 0/1)."""
        with torch.autocast(device_type=pred_masks.device.type, enabled=False):  # the costs in fp32
            return [self._match(pred_logits[b], pred_masks[b], target) for b, target in enumerate(targets)]

    def _match(self, pred_logits: torch.Tensor, pred_masks: torch.Tensor, target: dict) -> Tuple[torch.Tensor, torch.Tensor]:
        """Query and target indices of one image's least-cost assignment."""
        probs = pred_logits.float().softmax(-1)
        cost_class = -probs[:, target["labels"]]
        coords = self.rand(1, self.num_points, 2, device=pred_masks.device)
        out = point_sample(pred_masks[:, None].float(), coords.repeat(pred_masks.shape[0], 1, 1))[:, 0]
        tgt_masks = target["masks"][:, None].to(out)
        tgt = point_sample(tgt_masks, coords.repeat(tgt_masks.shape[0], 1, 1))[:, 0]
        cost = (self.cost_mask * pairwise_sigmoid_ce(out, tgt) + self.cost_class * cost_class
                + self.cost_dice * pairwise_dice(out, tgt))
        big = torch.finfo(cost.dtype).max
        cost = torch.nan_to_num(cost, nan=big, posinf=big, neginf=big)
        rows, cols = linear_sum_assignment(cost.cpu())
        return torch.as_tensor(rows, dtype=torch.int64), torch.as_tensor(cols, dtype=torch.int64)
