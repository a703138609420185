"""Conv -> norm -> ReLU as one Sequential (children 0, 1, 2, the layout of the authors' heads)."""
from __future__ import annotations

from typing import Optional

from torch import nn

from .norm import get_norm


class ConvNormAct(nn.Sequential):
    """A conv followed by ``get_norm(norm, eps=norm_eps)`` and ReLU.

    The conv has no bias when a norm follows (the norm has one), unless ``bias`` is True: Caffe nets
    such as SegNet's, and torchvision's ``vgg*_bn``, keep the conv bias before BatchNorm. ``groups`` makes it
    grouped or depthwise (the real-time networks' layers).
    """

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
        bias: Optional[bool] = None,
        groups: int = 1,
    ) -> None:
        padding = dilation * (kernel_size - 1) // 2
        conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride, padding, dilation=dilation, groups=groups,
            bias=not norm if bias is None else bias,
        )
        super().__init__(conv, get_norm(norm, out_channels, eps=norm_eps), nn.ReLU(inplace=True) if activation else nn.Identity())
