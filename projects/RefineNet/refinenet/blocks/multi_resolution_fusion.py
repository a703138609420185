"""Multi-resolution fusion: two paths brought to one width, the coarser one upsampled, then summed."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MultiResolutionFusion(nn.Module):
    """``fine_conv(fine) + up(coarse_conv(coarse))`` where ``up`` is bilinear to the finer path's size.

    Both convs have no bias. ``align_corners=True`` as in both of DrSleep's models (the only
    upsampling inside the decoder; the references agree, so it is not a switch).
    """

    def __init__(self, fine_channels: int, coarse_channels: int, out_channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        padding = kernel_size // 2
        self.fine_conv = nn.Conv2d(fine_channels, out_channels, kernel_size, padding=padding, bias=False)
        self.coarse_conv = nn.Conv2d(coarse_channels, out_channels, kernel_size, padding=padding, bias=False)

    def forward(self, fine: torch.Tensor, coarse: torch.Tensor) -> torch.Tensor:
        coarse = F.interpolate(self.coarse_conv(coarse), size=fine.shape[-2:], mode="bilinear", align_corners=True)
        return self.fine_conv(fine) + coarse
