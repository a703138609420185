"""UNet++'s nested dense skip pathways: node X(i, j) = H([Up(X(i+1, j-1)), X(i, j-1), ..., X(i, 0)]).

Level i is encoder feature i (shallow to deep), X(i, 0) the encoder's output there; column j >= 1 is
the j-th decoder node of the level. H is a DecoderBlock (up-sampling to the level's size, concatenation
[up, newest .. oldest node of the level], convs), the order of smp's UnetPlusPlusDecoder.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

from seg_engine.modeling import NECK_REGISTRY, ShapeSpec

from .decoder import DecoderBlock, decoder_input_shapes

WIDTH_LAYOUTS = ("smp", "paper")


@NECK_REGISTRY.register()
class NestedDecoder(nn.Module):
    """UNet++'s decoder as a neck (MODEL.NECK.NAME "NestedDecoder", configured by MODEL.UNET and MODEL.UNETPP;
    keys ``decoder.*``): nodes ``nodes.x_{i}_{j}``; blocks without a skip after X(0, D) in ``final`` (smp's last
    block).

    Args:
        in_features: encoder features, shallow to deep (D + 1 of them: D levels of nodes).
        in_shapes: their shapes.
        channels: decoder widths, deep to shallow (one per level, then one per skip-less block).
        widths: "paper": every node of level i has ``channels[D-1-i]`` (the authors' Keras Xnet);
            "smp": only the level's last node X(i, D-i) does, the others have the encoder's width.
        upsample, num_convs, norm: as MODEL.UNET.
    """

    module_name = "decoder"
    needs_input_size = True

    def __init__(
        self,
        in_features: Sequence[str],
        in_shapes: Sequence[ShapeSpec],
        channels: Sequence[int],
        widths: str = "smp",
        upsample: str = "nearest",
        num_convs: int = 2,
        norm: str = "BN",
        align_corners: bool = False,
    ) -> None:
        super().__init__()
        self.in_features = list(in_features)
        if widths not in WIDTH_LAYOUTS:
            raise ValueError(f"MODEL.UNETPP.WIDTHS must be one of {WIDTH_LAYOUTS}, got {widths!r}")
        depth = len(in_shapes) - 1
        channels = list(channels) or [s.channels for s in in_shapes[:-1]][::-1]
        if len(channels) < depth:
            raise ValueError(f"MODEL.UNET.DECODER_CHANNELS needs one width per level ({depth}), got {channels!r}")
        self.depth = depth

        def width(i: int, j: int) -> int:
            if j == 0:
                return in_shapes[i].channels
            if widths == "paper" or j == depth - i:
                return channels[depth - 1 - i]
            return in_shapes[i].channels

        self.nodes = nn.ModuleDict()
        for j in range(1, depth + 1):
            for i in range(depth - j + 1):
                skip = sum(width(i, k) for k in range(j))
                self.nodes[f"x_{i}_{j}"] = DecoderBlock(
                    width(i + 1, j - 1), skip, width(i, j), upsample, "up_first", num_convs, norm, "same", align_corners
                )
        self.final = nn.ModuleList()
        in_channels, stride = channels[depth - 1], in_shapes[0].stride
        self._out_shapes = {f"x_0_{j}": ShapeSpec(width(0, j), stride) for j in range(1, depth + 1)}
        for out_channels in channels[depth:]:
            self.final.append(DecoderBlock(in_channels, 0, out_channels, upsample, "up_first", num_convs, norm, "same", align_corners))
            in_channels, stride = out_channels, max(stride // 2, 1)
        self._out_shapes[f"up{stride}"] = ShapeSpec(in_channels, stride)
        self.output_name = f"up{stride}" if len(self.final) else f"x_0_{depth}"

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """MODEL.UNET (IN_FEATURES, DECODER_CHANNELS, UPSAMPLE "nearest", NUM_CONVS, NORM) and MODEL.UNETPP.WIDTHS;
        with deep supervision the skip-less blocks after X(0, D) are left out (the heads read X(0, j))."""
        u, p = cfg.MODEL.UNET, cfg.MODEL.UNETPP
        if u.UPSAMPLE != "nearest":
            raise ValueError(f"NestedDecoder up-samples with MODEL.UNET.UPSAMPLE 'nearest', got {u.UPSAMPLE!r}")
        in_shapes = decoder_input_shapes("MODEL.UNET.IN_FEATURES", u.IN_FEATURES, input_shape)
        channels = list(u.DECODER_CHANNELS)
        if p.DEEP_SUPERVISION != "none":
            channels = channels[: len(in_shapes) - 1]
        return dict(in_features=u.IN_FEATURES, in_shapes=in_shapes, channels=channels, widths=p.WIDTHS,
                    upsample=u.UPSAMPLE, num_convs=u.NUM_CONVS, norm=u.NORM, align_corners=cfg.MODEL.ALIGN_CORNERS)

    def output_shape(self) -> Dict[str, ShapeSpec]:
        """``x_0_j``: the top level's nodes (deep supervision); ``up<s>``: after the skip-less blocks."""
        return dict(self._out_shapes)

    def forward(
        self, features: Dict[str, torch.Tensor], size: Optional[Sequence[int]] = None, columns: Optional[int] = None
    ) -> Dict[str, torch.Tensor]:
        """``columns``: compute only columns 1..columns (the "fast" pruned model); the skip-less blocks
        run only when every column is computed. ``size``: where the last skip-less block resizes to."""
        grid = [[features[name]] for name in self.in_features]
        columns = self.depth if columns is None else columns
        for j in range(1, columns + 1):
            for i in range(self.depth - j + 1):
                skip = torch.cat(grid[i][::-1], dim=1)
                grid[i].append(self.nodes[f"x_{i}_{j}"](grid[i + 1][j - 1], skip))
        out = {f"x_0_{j}": grid[0][j] for j in range(1, columns + 1)}
        if columns == self.depth and len(self.final):
            x = grid[0][self.depth]
            for k, block in enumerate(self.final):
                x = block(x, None, size if k == len(self.final) - 1 else None)
            out[self.output_name] = x
        return out
