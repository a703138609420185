"""SegFormer's efficient self-attention: keys and values from a spatially reduced copy of the tokens."""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn


class EfficientSelfAttention(nn.Module):
    """Multi-head self-attention over N x (h * w) x C tokens whose keys and values come from the token grid
    reduced by a ``sr_ratio`` x ``sr_ratio`` conv of the same stride and a LayerNorm (PVT's spatial-reduction
    attention; none when ``sr_ratio`` is 1), so the cost is (h * w)^2 / sr_ratio^2.

    ``q`` and ``kv`` (keys then values, packed) are the authors' layers; transformers' separate ``key`` and
    ``value`` and mmsegmentation's packed ``in_proj`` convert to them. The product is
    ``F.scaled_dot_product_attention`` (scale ``head_dim ** -0.5``, as every reference).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        sr_ratio: int = 1,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"EfficientSelfAttention: width {dim} is not a multiple of {num_heads} heads")
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, 2 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.sr = nn.Conv2d(dim, dim, sr_ratio, sr_ratio) if sr_ratio > 1 else None
        self.norm = nn.LayerNorm(dim, eps=norm_eps) if sr_ratio > 1 else None

    def forward(self, x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
        b, n, c = x.shape
        heads = self.num_heads
        q = self.q(x).reshape(b, n, heads, c // heads).transpose(1, 2)
        context = x
        if self.sr is not None:
            grid = x.transpose(1, 2).reshape(b, c, size[0], size[1])
            context = self.norm(self.sr(grid).flatten(2).transpose(1, 2))
        k, v = self.kv(context).reshape(b, -1, 2, heads, c // heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop if self.training else 0.0)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(b, n, c)))
