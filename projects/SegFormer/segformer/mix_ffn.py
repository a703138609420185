"""Mix-FFN: the MLP of a MiT block with a depthwise 3x3 conv between its two linear layers."""
from __future__ import annotations

from typing import Tuple

import torch
from torch import nn


class MixFFN(nn.Module):
    """Linear -> depthwise 3x3 conv on the h x w token grid -> GELU -> Linear, dropout after the GELU and
    after the output. The padded depthwise conv leaks position into the tokens, so MiT needs no positional
    encoding and takes any input size."""

    def __init__(self, dim: int, hidden_dim: int, drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.dwconv = nn.Conv2d(hidden_dim, hidden_dim, 3, padding=1, groups=hidden_dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dim, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
        x = self.fc1(x)
        b, n, c = x.shape
        x = self.dwconv(x.transpose(1, 2).reshape(b, c, size[0], size[1])).flatten(2).transpose(1, 2)
        return self.drop(self.fc2(self.drop(self.act(x))))
