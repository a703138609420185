"""Depthwise-separable convolution: the block of the aligned Xception, separable ASPP and JPU."""
from __future__ import annotations

from collections import OrderedDict

from torch import nn

from .norm import get_norm


class SeparableConv2d(nn.Sequential):
    """Depthwise k x k conv -> norm [-> ReLU] -> pointwise 1x1 conv -> norm [-> ReLU].

    Children are named as timm's ``SeparableConv2d`` (``conv_dw``, ``bn_dw``, ``act_dw``, ``conv_pw``,
    ``bn_pw``, ``act_pw``); a disabled activation is an Identity, so it holds no keys. Where the
    references differ: TensorFlow's Xception has ReLUs only in its last exit-flow block
    (``act_dw=act_pw=True``) and none elsewhere, mmsegmentation's DepthwiseSeparableConvModule has
    both, FastFCN's JPU only the pointwise one. Convs have no bias when a norm follows.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        dilation: int = 1,
        norm: str = "BN",
        norm_eps: float = 1e-5,
        act_dw: bool = False,
        act_pw: bool = True,
    ) -> None:
        padding = dilation * (kernel_size - 1) // 2
        super().__init__(
            OrderedDict(
                conv_dw=nn.Conv2d(
                    in_channels, in_channels, kernel_size, stride, padding,
                    dilation=dilation, groups=in_channels, bias=not norm,
                ),
                bn_dw=get_norm(norm, in_channels, eps=norm_eps),
                act_dw=nn.ReLU(inplace=True) if act_dw else nn.Identity(),
                conv_pw=nn.Conv2d(in_channels, out_channels, 1, bias=not norm),
                bn_pw=get_norm(norm, out_channels, eps=norm_eps),
                act_pw=nn.ReLU(inplace=True) if act_pw else nn.Identity(),
            )
        )
