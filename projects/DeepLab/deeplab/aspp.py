"""Atrous spatial pyramid pooling (Chen et al. 2017) with the switches that tell its public versions apart."""
from __future__ import annotations

from typing import List, Sequence

import torch
from torch import nn

from seg_engine.modeling.layers import ConvNormAct, SeparableConv2d
from seg_engine.utils import comm

POOL_POSITIONS = ("first", "last")
PROJECT_KERNELS = (1, 3)


class ASPP(nn.Module):
    """A 1x1 branch, one 3x3 branch per atrous rate, an image-pooling branch; concat, projection, dropout.

    Children: ``convs`` (``convs.0`` the 1x1 branch, ``convs.i`` the branch of ``rates[i - 1]``, a
    ConvNormAct or, with ``separable``, a SeparableConv2d with ReLU after both halves as TensorFlow's and
    mmsegmentation's), ``pool`` (global average pooling, then a 1x1 ConvNormAct), ``project`` and
    ``dropout``. ``pool_position`` puts the pooled branch first or last in the concat; without
    ``pool_norm`` its conv has a bias and no norm.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        rates: Sequence[int],
        norm: str = "BN",
        pool_position: str = "first",
        pool_norm: bool = True,
        project_kernel: int = 1,
        dropout: float = 0.1,
        separable: bool = False,
    ) -> None:
        super().__init__()
        if pool_position not in POOL_POSITIONS:
            raise ValueError(f"MODEL.ASPP.POOL_POSITION must be one of {POOL_POSITIONS}, got {pool_position!r}")
        if project_kernel not in PROJECT_KERNELS:
            raise ValueError(f"MODEL.ASPP.PROJECT_KERNEL must be one of {PROJECT_KERNELS}, got {project_kernel!r}")
        self._check_rates(rates)
        self.pool_position = pool_position
        atrous = [
            SeparableConv2d(in_channels, channels, 3, dilation=r, norm=norm, act_dw=True, act_pw=True)
            if separable else ConvNormAct(in_channels, channels, 3, dilation=r, norm=norm)
            for r in rates
        ]
        self.convs = nn.ModuleList([ConvNormAct(in_channels, channels, 1, norm=norm), *atrous])
        pool_conv = ConvNormAct(in_channels, channels, 1, norm=norm if pool_norm else "")
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), pool_conv)
        self.project = ConvNormAct((len(rates) + 2) * channels, channels, project_kernel, norm=norm)
        self.dropout = nn.Dropout(dropout)

    @staticmethod
    def _check_rates(rates: Sequence[int]) -> None:
        if not rates or not all(isinstance(r, int) and r >= 1 for r in rates):
            raise ValueError(f"MODEL.ASPP.RATES must be positive ints, got {tuple(rates)!r}")

    @property
    def rates(self) -> List[int]:
        return [self._atrous_conv(branch).dilation[0] for branch in self.convs[1:]]

    @staticmethod
    def _atrous_conv(branch: nn.Module) -> nn.Conv2d:
        return branch.conv_dw if isinstance(branch, SeparableConv2d) else branch[0]

    def set_rates(self, rates: Sequence[int]) -> None:
        """New dilations (and paddings) for the 3x3 branches, weights untouched (a test-time output stride)."""
        self._check_rates(rates)
        if len(rates) != len(self.convs) - 1:
            raise ValueError(f"ASPP has {len(self.convs) - 1} atrous branches, got {len(rates)} rates")
        for branch, rate in zip(self.convs[1:], rates):
            conv = self._atrous_conv(branch)
            conv.dilation = conv.padding = (rate, rate)

    def _check_pool_norm_batch(self, batch_size: int) -> None:
        norm = self.pool[1][1]
        if not (self.training and batch_size == 1 and isinstance(norm, nn.modules.batchnorm._BatchNorm)):
            return
        if isinstance(norm, nn.SyncBatchNorm) and comm.get_world_size() > 1:
            return  # the statistics are over every process's image
        raise ValueError(
            "ASPP: BatchNorm in the image-pooling branch cannot train on 1 image per process (one value per "
            "channel); set MODEL.ASPP.POOL_NORM False, or train with at least 2 images per process"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_pool_norm_batch(x.shape[0])
        branches = [conv(x) for conv in self.convs]
        pooled = self.pool(x).expand(-1, -1, *x.shape[-2:])  # a 1x1 map resized bilinearly is a constant
        branches = [pooled, *branches] if self.pool_position == "first" else [*branches, pooled]
        return self.dropout(self.project(torch.cat(branches, dim=1)))
