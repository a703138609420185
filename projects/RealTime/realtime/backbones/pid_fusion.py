"""PIDNet's fusion modules: Pag (pixel-attention-guided: P reads I where they agree) and Bag /
light Bag (boundary-attention-guided: the D branch's sigmoid weighs P against I)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling.layers import ConvNormAct

from ..layers import norm_act_conv


class PagFM(nn.Module):
    """sigma = sigmoid(sum_c f_p(p) * up(f_i(i))); p' = (1 - sigma) p + sigma up(i). ``f_p``/``f_i``: 1x1 conv-BN."""

    def __init__(self, in_channels: int, channels: int, norm: str = "BN") -> None:
        super().__init__()
        self.f_i = ConvNormAct(in_channels, channels, 1, norm=norm, activation=False)
        self.f_p = ConvNormAct(in_channels, channels, 1, norm=norm, activation=False)

    def forward(self, x_p: torch.Tensor, x_i: torch.Tensor) -> torch.Tensor:
        size = x_p.shape[2:]
        f_i = F.interpolate(self.f_i(x_i), size=size, mode="bilinear", align_corners=False)
        sigma = torch.sigmoid(torch.sum(self.f_p(x_p) * f_i, dim=1).unsqueeze(1))
        x_i = F.interpolate(x_i, size=size, mode="bilinear", align_corners=False)
        return sigma * x_i + (1 - sigma) * x_p


class Bag(nn.Module):
    """PIDNet-L: BN-ReLU-3x3 conv of sigmoid(d) p + (1 - sigmoid(d)) i."""

    def __init__(self, in_channels: int, out_channels: int, norm: str = "BN") -> None:
        super().__init__()
        self.conv = norm_act_conv(in_channels, out_channels, 3, norm=norm)

    def forward(self, x_p: torch.Tensor, x_i: torch.Tensor, x_d: torch.Tensor) -> torch.Tensor:
        sigma = torch.sigmoid(x_d)
        return self.conv(sigma * x_p + (1 - sigma) * x_i)


class LightBag(nn.Module):
    """PIDNet-S/M: f_p(p + (1 - sigmoid(d)) i) + f_i(i + sigmoid(d) p), each a 1x1 conv-BN."""

    def __init__(self, in_channels: int, out_channels: int, norm: str = "BN") -> None:
        super().__init__()
        self.f_p = ConvNormAct(in_channels, out_channels, 1, norm=norm, activation=False)
        self.f_i = ConvNormAct(in_channels, out_channels, 1, norm=norm, activation=False)

    def forward(self, x_p: torch.Tensor, x_i: torch.Tensor, x_d: torch.Tensor) -> torch.Tensor:
        sigma = torch.sigmoid(x_d)
        return self.f_p((1 - sigma) * x_i + x_p) + self.f_i(x_i + sigma * x_p)
