"""The sine position embedding of DETR, normalized to [0, 2*pi] over the map (no padding mask)."""
from __future__ import annotations

import math

import torch


def sine_position_embedding(x: torch.Tensor, num_feats: int, temperature: float = 10000.0) -> torch.Tensor:
    """N x (2 * num_feats) x H x W embedding of the map ``x`` (N x C x H x W): the y half, then the x half,
    each interleaving sin and cos of the position (1..H, 1..W, scaled to end at 2*pi) over frequencies."""
    n, _, h, w = x.shape
    eps, scale = 1e-6, 2 * math.pi
    y = torch.arange(1, h + 1, dtype=torch.float32, device=x.device)
    xs = torch.arange(1, w + 1, dtype=torch.float32, device=x.device)
    y = (y / (y[-1] + eps) * scale)[None, :, None].expand(n, h, w)
    xs = (xs / (xs[-1] + eps) * scale)[None, None, :].expand(n, h, w)
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=x.device)
    dim_t = temperature ** (2 * (dim_t // 2) / num_feats)
    pos_x = xs[..., None] / dim_t
    pos_y = y[..., None] / dim_t
    pos_x = torch.stack((pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()), dim=4).flatten(3)
    pos_y = torch.stack((pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()), dim=4).flatten(3)
    return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2).to(x.dtype)
