"""One RefineNet block: adapt a backbone feature, fuse it with the coarser path, pool and refine."""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .chained_residual_pooling import ChainedResidualPooling
from .multi_resolution_fusion import MultiResolutionFusion
from .residual_conv_unit import ResidualConvUnit


class RefineBlock(nn.Module):
    """RefineNet-m of the paper's Fig. 2, in the order of the authors' released model.

    ``adapt``: a conv from the backbone's channels to ``channels`` (DrSleep's ``p_ims1d2_outlN_dimred``)
    and ``adapt_rcus`` residual conv units; ``fusion`` with the coarser path (absent in the first,
    coarsest block); ``crp`` (which starts with the ReLU); ``output_rcus`` residual conv units.
    Light-Weight RefineNet: 1x1 convs (``kernel_size=1``) and no RCUs.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        coarse_channels: Optional[int],
        adapt_rcus: int,
        crp_stages: int,
        output_rcus: int,
        kernel_size: int = 3,
    ) -> None:
        super().__init__()
        if kernel_size not in (1, 3):
            raise ValueError(f"MODEL.REFINENET.KERNEL_SIZE must be 1 or 3, got {kernel_size!r}")
        if adapt_rcus < 0 or output_rcus < 0:
            raise ValueError(
                f"MODEL.REFINENET.ADAPT_RCUS and OUTPUT_RCUS must be >= 0, got {adapt_rcus!r} and {output_rcus!r}"
            )
        self.adapt = nn.Conv2d(in_channels, channels, kernel_size, padding=kernel_size // 2, bias=False)
        self.adapt_rcus = nn.Sequential(*(ResidualConvUnit(channels) for _ in range(adapt_rcus)))
        self.fusion = (
            MultiResolutionFusion(channels, coarse_channels, channels, kernel_size) if coarse_channels else None
        )
        self.crp = ChainedResidualPooling(channels, crp_stages, kernel_size)
        self.output_rcus = nn.Sequential(*(ResidualConvUnit(channels) for _ in range(output_rcus)))

    def forward(self, x: torch.Tensor, coarse: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = self.adapt_rcus(self.adapt(x))
        if self.fusion is not None:
            x = self.fusion(x, coarse)
        return self.output_rcus(self.crp(x))
