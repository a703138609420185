"""The U-shaped decoders' vocabulary: conv blocks, up-samplers and the size matching of a skip.

UNet, UNet++ and LinkNet are built from these and nothing else, so each idea is written once.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling.layers import get_norm

PADDINGS = ("same", "valid")
UPSAMPLE_MODES = ("transpose", "bilinear", "nearest")


class ConvNormReLU(nn.Sequential):
    """Conv -> norm -> ReLU (children 0, 1, 2 as seg_engine's ConvNormAct).

    Unlike ConvNormAct it takes the padding (0 for the paper's valid convs) and the bias explicitly:
    LinkNet's Torch convs keep their bias before BN. ``bias=None`` means "only without a norm".
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        padding: int = 1,
        norm: str = "BN",
        bias: bool | None = None,
        norm_eps: float = 1e-5,
        stride: int = 1,
    ) -> None:
        bias = not norm if bias is None else bias
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=bias),
            get_norm(norm, out_channels, eps=norm_eps),
            nn.ReLU(inplace=True),
        )


class ConvStack(nn.Sequential):
    """``len(widths)`` 3x3 ConvNormReLU layers: widths[0] is the first conv's output (U-Net's "double conv")."""

    def __init__(self, in_channels: int, widths: Sequence[int], norm: str = "BN", padding: str = "same") -> None:
        if padding not in PADDINGS:
            raise ValueError(f"MODEL.UNET.PADDING must be one of {PADDINGS}, got {padding!r}")
        pad = 1 if padding == "same" else 0
        channels = [in_channels, *widths]
        super().__init__(*(ConvNormReLU(channels[i], channels[i + 1], 3, pad, norm) for i in range(len(widths))))


class UpSample(nn.Module):
    """Doubles the resolution (or resizes to the skip's size) and sets the channels.

    "transpose": a 2x2/2 transposed conv with bias (the paper's up-convolution, milesial);
    "bilinear": bilinear x2 then a 1x1 ConvNormReLU (mmsegmentation's InterpConv), or no conv when
    the channels stay; "nearest": nearest-neighbour resize to the skip's size, channels kept (smp).
    Children: ``up`` (the transposed conv) or ``conv`` (the 1x1), so the keys say what they are.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        mode: str,
        norm: str = "BN",
        align_corners: bool = False,
    ) -> None:
        super().__init__()
        if mode not in UPSAMPLE_MODES:
            raise ValueError(f"MODEL.UNET.UPSAMPLE must be one of {UPSAMPLE_MODES}, got {mode!r}")
        if mode == "nearest" and in_channels != out_channels:
            raise ValueError(f"nearest up-sampling keeps the channels: {in_channels} in, {out_channels} asked")
        self.mode = mode
        self.align_corners = align_corners
        self.out_channels = out_channels
        if mode == "transpose":
            self.up = nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
        elif mode == "bilinear" and in_channels != out_channels:
            self.conv = ConvNormReLU(in_channels, out_channels, 1, 0, norm)

    def forward(self, x: torch.Tensor, size: Sequence[int] | None = None) -> torch.Tensor:
        """``size``: the skip's size, used by the resizing modes; None doubles."""
        if self.mode == "transpose":
            return self.up(x)
        if self.mode == "nearest":
            if size is None:
                return F.interpolate(x, scale_factor=2.0, mode="nearest")
            return F.interpolate(x, size=tuple(size), mode="nearest")
        x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=self.align_corners)
        return self.conv(x) if hasattr(self, "conv") else x


def center_crop(x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """The central ``size`` window of ``x`` (the paper's cropping of a skip for valid convs)."""
    h, w = x.shape[-2:]
    top, left = (h - size[0]) // 2, (w - size[1]) // 2
    return x[..., top : top + size[0], left : left + size[1]]


def match_skip(up: torch.Tensor, skip: torch.Tensor, crop_skip: bool) -> torch.Tensor:
    """``up`` brought to the size of ``skip``, or, with ``crop_skip``, ``skip`` to the size of ``up``.

    ``crop_skip`` is the paper's valid-conv network, whose skips are larger than the up-sampled maps
    and are centre-cropped. Otherwise a smaller up-sampled map is zero-padded around the centre
    (and a larger one centre-cropped), as milesial does for inputs not divisible by 16.
    Returns the resized tensor; equal sizes pass unchanged.
    """
    if up.shape[-2:] == skip.shape[-2:]:
        return skip if crop_skip else up
    if crop_skip:
        return center_crop(skip, up.shape[-2:])
    dh, dw = skip.shape[-2] - up.shape[-2], skip.shape[-1] - up.shape[-1]
    if dh < 0 or dw < 0:
        up = center_crop(up, (min(up.shape[-2], skip.shape[-2]), min(up.shape[-1], skip.shape[-1])))
        dh, dw = skip.shape[-2] - up.shape[-2], skip.shape[-1] - up.shape[-1]
    return F.pad(up, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])


def fuse(up: torch.Tensor, skip: torch.Tensor | None, how: str) -> torch.Tensor:
    """Join an up-sampled map with its skip: "skip_first" concatenation (paper, milesial, mmseg),
    "up_first" concatenation (smp) or "add" (LinkNet)."""
    if skip is None:
        return up
    if how == "skip_first":
        return torch.cat([skip, up], dim=1)
    if how == "up_first":
        return torch.cat([up, skip], dim=1)
    if how == "add":
        return up + skip
    raise ValueError(f"unknown skip fusion {how!r}; expected skip_first, up_first or add")


def mirror_pad(x: torch.Tensor, top: int, bottom: int, left: int, right: int) -> torch.Tensor:
    """Reflect-pad by any amount (repeated reflections when a pad exceeds the size): the paper's
    extrapolation of the missing context at the borders for overlap-tile prediction."""
    while top or bottom or left or right:
        h, w = x.shape[-2:]
        step = [min(left, w - 1), min(right, w - 1), min(top, h - 1), min(bottom, h - 1)]
        if max(step) == 0:
            return F.pad(x, [left, right, top, bottom], mode="replicate")
        x = F.pad(x, step, mode="reflect")
        left, right, top, bottom = left - step[0], right - step[1], top - step[2], bottom - step[3]
    return x


class UpConvNormReLU(nn.Sequential):
    """Transposed conv (with bias, as Torch's full convolution and smp's TransposeX2) -> norm -> ReLU.

    ``kernel_size`` 3 with padding 1 and output_padding ``stride - 1`` ("adj", LinkNet's model.lua) or
    4 with padding 1 (smp): both give exactly ``stride`` times the input size.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, norm: str = "BN", norm_eps: float = 1e-5) -> None:
        if kernel_size not in (2, 3, 4):
            raise ValueError(f"MODEL.LINKNET.UPCONV_KERNEL must be 3 or 4, got {kernel_size!r}")
        padding = 0 if kernel_size == 2 else 1
        output_padding = stride - 1 if kernel_size == 3 else 0
        super().__init__(
            nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, output_padding),
            get_norm(norm, out_channels, eps=norm_eps),
            nn.ReLU(inplace=True),
        )
