"""The U-Net expanding path on any encoder: up-sample, join the skip, conv block, level by level."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

from seg_engine.modeling import NECK_REGISTRY, ShapeSpec

from .layers import ConvStack, UpSample, fuse, match_skip

FUSIONS = ("skip_first", "up_first")
MID_CHANNELS = ("out", "half_input")


class DecoderBlock(nn.Module):
    """``up`` (UpSample) -> join the skip (``fuse``) -> ``convs`` (ConvStack). ``skip_channels`` 0: no skip."""

    def __init__(
        self,
        in_channels: int,
        skip_channels: int,
        out_channels: int,
        upsample: str,
        fusion: str,
        num_convs: int = 2,
        norm: str = "BN",
        padding: str = "same",
        align_corners: bool = False,
        mid_channels: str = "out",
    ) -> None:
        super().__init__()
        # The up-convolution (and mmseg's InterpConv) maps to the skip's width, halving the channels as in
        # the paper; nearest up-sampling keeps them (smp), as does a block without a skip.
        up_channels = in_channels if upsample == "nearest" or not skip_channels else skip_channels
        self.up = UpSample(in_channels, up_channels, upsample, norm, align_corners)
        if fusion not in FUSIONS:
            raise ValueError(f"MODEL.UNET.FUSE must be one of {FUSIONS}, got {fusion!r}")
        if mid_channels not in MID_CHANNELS:
            raise ValueError(f"MODEL.UNET.MID_CHANNELS must be one of {MID_CHANNELS}, got {mid_channels!r}")
        widths = [out_channels] * num_convs
        if mid_channels == "half_input":
            widths[0] = (up_channels + skip_channels) // 2
        self.convs = ConvStack(up_channels + skip_channels, widths, norm, padding)
        self.fusion = fusion
        self.crop_skip = padding == "valid"

    def forward(self, x: torch.Tensor, skip: Optional[torch.Tensor], size: Optional[Sequence[int]] = None) -> torch.Tensor:
        """``size``: where a skip-less block resizes to (the input's size); None doubles."""
        x = self.up(x, skip.shape[-2:] if skip is not None else size)
        if skip is not None:
            if self.crop_skip:
                skip = match_skip(x, skip, crop_skip=True)
            else:
                x = match_skip(x, skip, crop_skip=False)
        return self.convs(fuse(x, skip, self.fusion))


@NECK_REGISTRY.register()
class UNetDecoder(nn.Module):
    """The expanding path as a neck (MODEL.NECK.NAME "UNetDecoder", configured by MODEL.UNET): blocks ``blocks.0``
    (joining the deepest skip) .. up to the shallowest, then skip-less blocks. Its keys are ``decoder.*``, the name
    the published U-Nets' checkpoints map to.

    Args:
        in_features: the encoder features it reads, shallow to deep; the last is the bottom.
        in_shapes: their shapes.
        channels: output channels per block, deep to shallow; empty: each block its skip's channels
            (the paper, mmseg); more entries than skips add blocks without a skip (smp's last block).
        upsample, fusion, num_convs, norm, padding, mid_channels: see MODEL.UNET.

    ``forward`` returns every block's output named ``up<stride>`` (e.g. "up1" at full resolution).
    """

    module_name = "decoder"
    needs_input_size = True

    def __init__(
        self,
        in_features: Sequence[str],
        in_shapes: Sequence[ShapeSpec],
        channels: Sequence[int] = (),
        upsample: str = "transpose",
        fusion: str = "skip_first",
        num_convs: int = 2,
        norm: str = "BN",
        padding: str = "same",
        align_corners: bool = False,
        mid_channels: str = "out",
    ) -> None:
        super().__init__()
        self.in_features = list(in_features)
        self.resize_last = padding != "valid"
        skips = list(in_shapes[:-1])[::-1]
        channels = list(channels) or [s.channels for s in skips]
        if len(channels) < len(skips):
            raise ValueError(
                f"MODEL.UNET.DECODER_CHANNELS needs one width per skip ({len(skips)}), got {channels!r}"
            )
        in_channels, stride = in_shapes[-1].channels, in_shapes[-1].stride
        self.blocks = nn.ModuleList()
        self._out_shapes: Dict[str, ShapeSpec] = {}
        for i, out_channels in enumerate(channels):
            skip = skips[i] if i < len(skips) else None
            stride = skip.stride if skip is not None else max(stride // 2, 1)
            self.blocks.append(
                DecoderBlock(
                    in_channels, skip.channels if skip else 0, out_channels, upsample, fusion,
                    num_convs, norm, padding, align_corners, mid_channels,
                )
            )
            self._out_shapes[f"up{stride}"] = ShapeSpec(channels=out_channels, stride=stride)
            in_channels = out_channels
        self.num_skips = len(skips)

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        u = cfg.MODEL.UNET
        if u.PADDING == "valid" and cfg.MODEL.META_ARCHITECTURE != "OverlapTileUNet":
            raise ValueError("MODEL.UNET.PADDING 'valid' shrinks the output: it needs MODEL.META_ARCHITECTURE "
                             f"OverlapTileUNet, got {cfg.MODEL.META_ARCHITECTURE}")
        return dict(
            in_features=u.IN_FEATURES, in_shapes=decoder_input_shapes("MODEL.UNET.IN_FEATURES", u.IN_FEATURES, input_shape),
            channels=u.DECODER_CHANNELS, upsample=u.UPSAMPLE, fusion=u.FUSE, num_convs=u.NUM_CONVS, norm=u.NORM,
            padding=u.PADDING, align_corners=cfg.MODEL.ALIGN_CORNERS, mid_channels=u.MID_CHANNELS,
        )

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return dict(self._out_shapes)

    def forward(self, features: Dict[str, torch.Tensor], size: Optional[Sequence[int]] = None) -> Dict[str, torch.Tensor]:
        """Every block's output, ``up<stride>``, from the maps ``in_features`` names; ``size``: the network input's
        size, where the last skip-less block resizes to (None, and with valid convs: it doubles)."""
        features = [features[name] for name in self.in_features]
        size = size if self.resize_last else None
        skips = features[:-1][::-1]
        x = features[-1]
        out = {}
        names = list(self._out_shapes)
        for i, block in enumerate(self.blocks):
            last = i == len(self.blocks) - 1
            x = block(x, skips[i] if i < self.num_skips else None, size if last else None)
            out[names[i]] = x
        return out


def decoder_input_shapes(key: str, names: Sequence[str], input_shape: Dict[str, ShapeSpec]) -> List[ShapeSpec]:
    """The shapes of the maps a U-shaped decoder joins (config key ``key``): two or more, all given."""
    if len(names) < 2 or any(name not in input_shape for name in names):
        raise ValueError(f"{key} must name two or more backbone features among {sorted(input_shape)}, got {list(names)!r}")
    return [input_shape[name] for name in names]
