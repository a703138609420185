"""Convolutions with a norm and an activation, in both orders the references use.

``conv_norm_act`` has the layout of the core ``ConvNormAct`` (children 0, 1, 2: conv, norm, activation) and
adds grouped convs and explicit padding, which the depthwise layers of BiSeNetV2, STDC and PAPPM need.
``norm_act_conv`` is the pre-activation order (norm, ReLU, conv: children 0, 1, 2) of DDRNet's and PIDNet's
pyramid pooling and heads (mmsegmentation's ``ConvModule(order=('norm', 'act', 'conv'))``).
"""
from __future__ import annotations

from typing import Optional

from torch import nn

from seg_engine.modeling.layers import get_norm


def conv_norm_act(
    in_channels: int,
    out_channels: int,
    kernel_size: int = 3,
    stride: int = 1,
    padding: Optional[int] = None,
    groups: int = 1,
    norm: str = "BN",
    act: bool = True,
    bias: Optional[bool] = None,
) -> nn.Sequential:
    """Conv -> norm -> ReLU; ``padding`` None keeps the size at stride 1; the conv has a bias only without a
    norm unless ``bias`` says otherwise; ``act`` False or ``norm`` "" leave an Identity (no keys)."""
    padding = (kernel_size - 1) // 2 if padding is None else padding
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups,
                     bias=not norm if bias is None else bias)
    return nn.Sequential(conv, get_norm(norm, out_channels), nn.ReLU(inplace=True) if act else nn.Identity())


def norm_act_conv(
    in_channels: int, out_channels: int, kernel_size: int = 1, groups: int = 1, norm: str = "BN"
) -> nn.Sequential:
    """Norm (over the input's channels) -> ReLU -> conv without bias, size kept."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=(kernel_size - 1) // 2, groups=groups, bias=False)
    return nn.Sequential(get_norm(norm, in_channels), nn.ReLU(inplace=True), conv)
