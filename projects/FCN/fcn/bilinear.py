"""Bilinear-interpolation deconvolutions, as the FCN nets' ``surgery.interp`` initialises them."""
from __future__ import annotations

import torch
from torch import nn


def bilinear_kernel(size: int) -> torch.Tensor:
    """The ``size x size`` kernel that upsamples by ``(size + 1) // 2`` bilinearly (Caffe's surgery.upsample_filt)."""
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    ramp = 1 - (torch.arange(size, dtype=torch.float64) - center).abs() / factor
    return (ramp[:, None] * ramp[None, :]).float()


class BilinearUpsample(nn.ConvTranspose2d):
    """A C -> C deconvolution of kernel ``2 * factor`` and stride ``factor``, no bias, whose weight holds
    the bilinear kernel on its diagonal (channel c to channel c) and zeros elsewhere, as in the Caffe
    nets. ``learnable=False`` (the authors' lr_mult 0) keeps it a parameter, so checkpoints and
    parameter counts include it as in the PyTorch port, but with ``requires_grad`` off: no optimizer
    sees it.
    """

    def __init__(self, channels: int, factor: int, learnable: bool = False) -> None:
        super().__init__(channels, channels, 2 * factor, stride=factor, bias=False)  # calls reset_parameters
        self.weight.requires_grad_(learnable)

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.zero_()
            diagonal = torch.arange(self.in_channels)
            self.weight[diagonal, diagonal] = bilinear_kernel(self.kernel_size[0]).to(self.weight.device)
