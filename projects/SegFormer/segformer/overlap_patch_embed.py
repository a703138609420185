"""MiT's overlapping patch embedding: a strided conv whose kernel is wider than its stride, then LayerNorm."""
from __future__ import annotations

from typing import Tuple

import torch
from torch import nn


class OverlapPatchEmbed(nn.Module):
    """A ``patch_size`` x ``patch_size`` conv of stride ``stride`` and padding ``patch_size // 2`` (7/4/3 for
    the first stage, 3/2/1 after it), so neighbouring patches overlap and any input size works: an h x w map
    gives ``floor((h - 1) / stride) + 1`` rows. Returns the N x (h * w) x C tokens, LayerNorm-ed, and (h, w).
    """

    def __init__(self, in_channels: int, embed_dim: int, patch_size: int, stride: int, norm_eps: float = 1e-5) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, embed_dim, patch_size, stride, padding=patch_size // 2)
        self.norm = nn.LayerNorm(embed_dim, eps=norm_eps)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        x = self.proj(x)
        size = (x.shape[-2], x.shape[-1])
        return self.norm(x.flatten(2).transpose(1, 2)), size
