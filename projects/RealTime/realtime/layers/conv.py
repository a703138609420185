"""The pre-activation order (norm, ReLU, conv: children 0, 1, 2) of DDRNet's and PIDNet's pyramid pooling and heads
(mmsegmentation's ``ConvModule(order=('norm', 'act', 'conv'))``); conv -> norm -> ReLU is the core ``ConvNormAct``."""
from __future__ import annotations

from torch import nn

from seg_engine.modeling.layers import get_norm


def norm_act_conv(
    in_channels: int, out_channels: int, kernel_size: int = 1, groups: int = 1, norm: str = "BN"
) -> nn.Sequential:
    """Norm (over the input's channels) -> ReLU -> conv without bias, size kept."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=(kernel_size - 1) // 2, groups=groups, bias=False)
    return nn.Sequential(get_norm(norm, in_channels), nn.ReLU(inplace=True), conv)
