"""The residual conv unit (RCU) of RefineNet: ReLU-conv-ReLU-conv plus the input, no normalization."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResidualConvUnit(nn.Module):
    """``x + conv2(relu(conv1(relu(x))))`` with two 3x3 convs of ``channels``.

    As the authors' released model (DrSleep's ``RCUBlock``, ``n_stages=2``): the first conv has a
    bias, the second none, and there is no BatchNorm (the paper's RCU is a ResNet unit without it).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))
