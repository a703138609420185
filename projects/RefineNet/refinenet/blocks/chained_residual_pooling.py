"""Chained residual pooling (CRP): a chain of pool-conv stages, each added to the block's output."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ChainedResidualPooling(nn.Module):
    """``x = relu(x); top = x``, then per stage ``top = conv(maxpool(top)); x = x + top``.

    Each stage pools the *previous stage's output* (a chain, so the receptive field grows with every
    stage), not ``relu(x)`` again as several ports do (which makes the stages parallel). The pools
    are 5x5 with stride 1 and padding 2, so the size is kept; the convs have no bias and there is no
    normalization. The authors' released model has 4 stages of 3x3 convs, the paper's Fig. 2(d) 2;
    Light-Weight RefineNet uses 1x1 convs (``kernel_size=1``).
    """

    def __init__(self, channels: int, num_stages: int, kernel_size: int = 3) -> None:
        super().__init__()
        if num_stages < 1:
            raise ValueError(f"MODEL.REFINENET.CRP_STAGES must be at least 1, got {num_stages!r}")
        self.pool = nn.MaxPool2d(kernel_size=5, stride=1, padding=2)
        self.convs = nn.ModuleList(
            nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, bias=False)
            for _ in range(num_stages)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(x)
        top = x
        for conv in self.convs:
            top = conv(self.pool(top))
            x = x + top
        return x
