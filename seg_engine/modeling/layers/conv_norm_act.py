"""Conv -> norm -> ReLU as one Sequential (children 0, 1, 2, the layout of the authors' heads)."""
from __future__ import annotations

from torch import nn

from .norm import get_norm


class ConvNormAct(nn.Sequential):
    """A bias-free conv (the norm has the bias) followed by ``get_norm(norm, eps=norm_eps)`` and ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        dilation: int = 1,
        norm: str = "BN",
        activation: bool = True,
        norm_eps: float = 1e-5,
    ) -> None:
        padding = dilation * (kernel_size - 1) // 2
        conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride, padding, dilation=dilation, bias=not norm
        )
        super().__init__(conv, get_norm(norm, out_channels, eps=norm_eps), nn.ReLU(inplace=True) if activation else nn.Identity())
