"""Point sampling for the mask losses and the matching costs (PointRend, Kirillov et al., CVPR 2020).

``rand`` is the source of uniform [0, 1) coordinates, ``torch.rand`` by default: the test seam through
which a test gives two implementations the same points.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

Rand = Callable[..., torch.Tensor]


def point_sample(maps: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Bilinear values of N x C x H x W ``maps`` at N x P x 2 ``coords`` ((x, y) in [0, 1]): N x C x P."""
    return F.grid_sample(maps, 2.0 * coords.unsqueeze(2) - 1.0, align_corners=False).squeeze(3)


def uncertain_point_coords(
    logits: torch.Tensor, num_points: int, oversample_ratio: float, importance_ratio: float, rand: Rand = torch.rand
) -> torch.Tensor:
    """N x num_points x 2 coordinates for N x 1 x H x W mask ``logits``: of ``num_points * oversample_ratio``
    uniform points, the ``importance_ratio * num_points`` most uncertain (logit nearest 0), then uniform
    points for the rest."""
    n = logits.shape[0]
    num_sampled = int(num_points * oversample_ratio)
    coords = rand(n, num_sampled, 2, device=logits.device)
    uncertainty = -point_sample(logits, coords).abs()
    num_uncertain = int(importance_ratio * num_points)
    idx = torch.topk(uncertainty[:, 0, :], k=num_uncertain, dim=1)[1]
    idx = idx + num_sampled * torch.arange(n, dtype=torch.long, device=logits.device)[:, None]
    coords = coords.view(-1, 2)[idx.view(-1), :].view(n, num_uncertain, 2)
    if num_points > num_uncertain:
        coords = torch.cat([coords, rand(n, num_points - num_uncertain, 2, device=logits.device)], dim=1)
    return coords
