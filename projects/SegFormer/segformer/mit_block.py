"""A MiT block: pre-norm efficient self-attention and Mix-FFN, each a residual with stochastic depth."""
from __future__ import annotations

from typing import Tuple

import torch
from torch import nn
from torchvision.ops import StochasticDepth

from .efficient_attention import EfficientSelfAttention
from .mix_ffn import MixFFN


class MiTBlock(nn.Module):
    """``x + drop_path(attn(norm1(x)))``, then ``x + drop_path(ffn(norm2(x)))``.

    ``drop_path`` drops the whole residual branch of a sample with probability ``drop_path`` in training
    and rescales the kept ones (torchvision's StochasticDepth in "row" mode, as timm's DropPath).
    ``norm_eps`` is the epsilon of norm1/norm2, ``sr_norm_eps`` that of the attention's reduction norm.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        sr_ratio: int = 1,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        norm_eps: float = 1e-6,
        sr_norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = EfficientSelfAttention(dim, num_heads, sr_ratio, qkv_bias, attn_drop, drop, sr_norm_eps)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.ffn = MixFFN(dim, int(dim * mlp_ratio), drop)
        self.drop_path = StochasticDepth(drop_path, "row")

    def forward(self, x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), size))
        return x + self.drop_path(self.ffn(self.norm2(x), size))
