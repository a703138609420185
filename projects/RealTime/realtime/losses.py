"""The losses of the real-time heads that train on edges of the targets, as plain functions: PIDNet's boundary
targets and loss, STDC's detail targets and loss (OHEM cross-entropy is the core's OHEMCrossEntropy).

Each follows mmsegmentation 1.2.2's implementation (``GenerateEdge`` + ``BoundaryLoss``, ``STDCHead``); the
tests pin values computed by both. None of them syncs with the host.
"""
from __future__ import annotations

from typing import Dict

import torch
import torch.nn.functional as F


def boundary_targets(targets: torch.Tensor, ignore_index: int, edge_width: int) -> torch.Tensor:
    """mmseg's GenerateEdge on a batch: 1 where a pixel's class differs from its lower, right, lower-right
    or lower-left neighbour's (both valid; marked on the pixel each rule names), dilated by a square of
    ``edge_width`` (OpenCV's anchor: ``edge_width // 2`` before, the rest after); float N x H x W."""
    t = targets
    valid = t != ignore_index
    edge = torch.zeros(t.shape, dtype=torch.bool, device=t.device)

    def differ(a, b, va, vb):
        return (a != b) & va & vb

    edge[:, 1:, :] |= differ(t[:, 1:, :], t[:, :-1, :], valid[:, 1:, :], valid[:, :-1, :])
    edge[:, :, :-1] |= differ(t[:, :, :-1], t[:, :, 1:], valid[:, :, :-1], valid[:, :, 1:])
    edge[:, :-1, :-1] |= differ(t[:, :-1, :-1], t[:, 1:, 1:], valid[:, :-1, :-1], valid[:, 1:, 1:])
    edge[:, :-1, 1:] |= differ(t[:, :-1, 1:], t[:, 1:, :-1], valid[:, :-1, 1:], valid[:, 1:, :-1])
    before, after = edge_width // 2, edge_width - 1 - edge_width // 2
    padded = F.pad(edge.unsqueeze(1).float(), (before, after, before, after))
    return F.max_pool2d(padded, kernel_size=edge_width, stride=1).squeeze(1)


def boundary_loss(logits: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """PIDNet's weighted binary cross-entropy: edge pixels weigh the share of non-edge pixels of the batch and
    vice versa; the mean over every pixel. ``logits``: N x 1 x H x W at the edges' size."""
    target = edges.flatten().float()
    pos = target == 1
    neg = target == 0
    total = (pos.sum() + neg.sum()).clamp(min=1)
    weight = torch.where(pos, neg.sum() / total, torch.where(neg, pos.sum() / total, 0.0)).float()
    return F.binary_cross_entropy_with_logits(logits.flatten().float(), target, weight, reduction="mean")


LAPLACIAN = ((-1.0, -1.0, -1.0), (-1.0, 8.0, -1.0), (-1.0, -1.0, -1.0))
FUSION = (0.6, 0.3, 0.1)


def detail_targets(targets: torch.Tensor, threshold: float = 0.1) -> torch.Tensor:
    """STDC's detail ground truth: the Laplacian of the label map (ignored pixels keep their value, as the
    reference) at strides 1, 2 and 4, clamped at 0, thresholded, enlarged (nearest), fused 0.6/0.3/0.1 and
    thresholded again; long N x H x W of 0/1."""
    labels = targets.unsqueeze(1).float()
    kernel = labels.new_tensor(LAPLACIAN).view(1, 1, 3, 3)
    maps = []
    for stride in (1, 2, 4):
        edges = F.conv2d(labels, kernel, stride=stride, padding=1).clamp(min=0)
        if stride > 1:
            edges = F.interpolate(edges, size=labels.shape[2:], mode="nearest")
        maps.append((edges > threshold).float())
    fused = F.conv2d(torch.cat(maps, dim=1), labels.new_tensor(FUSION).view(1, 3, 1, 1))
    return (fused > threshold).long().squeeze(1)


def detail_losses(logits: torch.Tensor, targets: torch.Tensor, eps: float = 1e-3) -> Dict[str, torch.Tensor]:
    """STDC's detail losses of N x C x H x W logits at the targets' size against 0/1 ``targets`` one-hot over C
    (mmseg: C = 2): binary cross-entropy of the sigmoids (mean over N C H W) and the Dice loss of the sigmoids
    (per image over C H W: 1 - 2 sum(p t) / (sum(p^2) + sum(t^2) + 2 eps), averaged)."""
    onehot = F.one_hot(targets, logits.shape[1]).permute(0, 3, 1, 2).float()
    logits = logits.float()
    bce = F.binary_cross_entropy_with_logits(logits, onehot, reduction="mean")
    p = logits.sigmoid().flatten(1)
    t = onehot.flatten(1)
    dice = 1 - 2 * (p * t).sum(1) / ((p * p).sum(1) + eps + (t * t).sum(1) + eps)
    return {"bce": bce, "dice": dice.mean()}
