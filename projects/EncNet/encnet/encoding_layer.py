"""The Encoding layer (Zhang et al., CVPR 2018): soft-assigned residuals to K learned codewords.

For features x_i (i = 1..N, dimension D), codewords c_k and smoothing factors s_k:

    a_ik = softmax_k(s_k * ||x_i - c_k||^2)          (scaled_l2, then a softmax over the codes)
    e_k  = sum_i a_ik (x_i - c_k)                     (aggregate)

Both steps are written with matrix products, so no B x N x K x D tensor is ever built:
||x_i - c_k||^2 = ||x_i||^2 - 2 x_i.c_k + ||c_k||^2, and e_k = (A^T X)_k - (sum_i a_ik) c_k.
Autograd differentiates them; the layer matches the authors' broadcast formulas (their CPU
kernels) to rounding, see docs/encoding_layer.md.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def scaled_l2(x: torch.Tensor, codewords: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``s_k * ||x_i - c_k||^2`` for x (B, N, D), codewords (K, D), scale (K,) -> (B, N, K)."""
    x_sq = x.pow(2).sum(dim=2, keepdim=True)
    c_sq = codewords.pow(2).sum(dim=1)
    cross = torch.matmul(x, codewords.t())
    return scale * (x_sq - 2.0 * cross + c_sq)


def aggregate(assignments: torch.Tensor, x: torch.Tensor, codewords: torch.Tensor) -> torch.Tensor:
    """``e_k = sum_i a_ik (x_i - c_k)`` for assignments (B, N, K), x (B, N, D) -> (B, K, D)."""
    weighted_sum = torch.bmm(assignments.transpose(1, 2), x)
    return weighted_sum - assignments.sum(dim=1).unsqueeze(2) * codewords


class Encoding(nn.Module):
    """B x D x H x W (or B x D x N) features -> B x K x D encoded residuals.

    Parameters keep the authors' names (``codewords`` K x D, ``scale`` K) and initialisation:
    codewords uniform in +-1/sqrt(K*D), smoothing factors uniform in (-1, 0). Under autocast the
    layer runs in float32, since the expanded distance cancels badly in half precision.
    """

    def __init__(self, channels: int, num_codes: int) -> None:
        super().__init__()
        self.channels, self.num_codes = channels, num_codes
        self.codewords = nn.Parameter(torch.empty(num_codes, channels))
        self.scale = nn.Parameter(torch.empty(num_codes))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.num_codes * self.channels)
        nn.init.uniform_(self.codewords, -bound, bound)
        nn.init.uniform_(self.scale, -1.0, 0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() not in (3, 4) or x.shape[1] != self.channels:
            raise ValueError(
                f"Encoding expects B x {self.channels} x H x W or B x {self.channels} x N, got {tuple(x.shape)}"
            )
        x = x.flatten(2).transpose(1, 2)
        if torch.is_autocast_enabled(x.device.type):
            with torch.autocast(x.device.type, enabled=False):
                return self._encode(x.float(), self.codewords.float(), self.scale.float())
        return self._encode(x, self.codewords, self.scale)

    @staticmethod
    def _encode(x: torch.Tensor, codewords: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        assignments = F.softmax(scaled_l2(x, codewords, scale), dim=2)
        return aggregate(assignments, x, codewords)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, num_codes={self.num_codes}"
