"""The multi-scale deformable-attention pixel decoder of Mask2Former (the authors' MSDeformAttnPixelDecoder).

The backbone's three deepest maps (strides 8/16/32) are projected to CONV_DIM (1x1 conv + GroupNorm),
refined jointly by ENCODER_LAYERS deformable-attention encoder layers, and the shallower maps (stride 4)
join FPN-style: a lateral 1x1 conv + GN, the coarser output upsampled (bilinear) and added, a 3x3 conv +
GN + ReLU. A 1x1 conv of the finest map gives the per-pixel mask features.
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling import NECK_REGISTRY, ShapeSpec
from seg_engine.modeling.layers.norm import get_norm

from .ms_deform_attn import MSDeformAttn
from .position_encoding import sine_position_embedding

MASK_FEATURES = "mask_features"


def level_name(stride: int) -> str:
    """``p<log2 stride>``: the name of the decoder's output at ``stride`` (p5 at 32 .. p3 at 8)."""
    return f"p{int(math.log2(stride))}"


class DeformableEncoderLayer(nn.Module):
    """Post-norm: deformable self-attention over all levels, then a ReLU feed-forward (authors' names)."""

    def __init__(self, dim: int, feedforward: int, dropout: float, num_levels: int, num_heads: int,
                 num_points: int, impl: str) -> None:
        super().__init__()
        self.self_attn = MSDeformAttn(dim, num_levels, num_heads, num_points, impl)
        self.dropout1 = nn.Dropout(dropout)
        self.norm1 = nn.LayerNorm(dim)
        self.linear1 = nn.Linear(dim, feedforward)
        self.dropout2 = nn.Dropout(dropout)
        self.linear2 = nn.Linear(feedforward, dim)
        self.dropout3 = nn.Dropout(dropout)
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, src: torch.Tensor, pos: torch.Tensor, reference_points: torch.Tensor,
                spatial_shapes: List[tuple]) -> torch.Tensor:
        src = self.norm1(src + self.dropout1(self.self_attn(src + pos, reference_points, src, spatial_shapes)))
        ffn = self.linear2(self.dropout2(F.relu(self.linear1(src))))
        return self.norm2(src + self.dropout3(ffn))


def reference_points(spatial_shapes: Sequence[tuple], batch: int, device, dtype) -> torch.Tensor:
    """N x S x levels x 2: every pixel centre of every level, (x, y) in [0, 1], the same on all levels
    (no padding masks, so every valid ratio is 1)."""
    points = []
    for h, w in spatial_shapes:
        y, x = torch.meshgrid(
            torch.linspace(0.5, h - 0.5, h, dtype=dtype, device=device) / h,
            torch.linspace(0.5, w - 0.5, w, dtype=dtype, device=device) / w,
            indexing="ij",
        )
        points.append(torch.stack((x.reshape(-1), y.reshape(-1)), -1))
    ref = torch.cat(points, 0)[None, :, None]
    return ref.expand(batch, -1, len(spatial_shapes), -1)


@NECK_REGISTRY.register()
class MSDeformAttnPixelDecoder(nn.Module):
    """Backbone maps -> ``{"mask_features": stride COMMON_STRIDE, "p5", "p4", "p3": the encoder's maps}``.

    The neck of the composed model (MODEL.NECK.NAME), built from explicit arguments; :meth:`from_config`
    reads MODEL.PIXEL_DECODER. ``output_shape()`` gives the shapes, as a backbone's, for the transformer decoder.
    """

    def __init__(
        self,
        input_shape: Dict[str, ShapeSpec],
        in_features: Sequence[str] = ("res2", "res3", "res4", "res5"),
        transformer_in_features: Sequence[str] = ("res3", "res4", "res5"),
        conv_dim: int = 256,
        mask_dim: int = 256,
        norm: str = "GN",
        num_heads: int = 8,
        num_points: int = 4,
        encoder_layers: int = 6,
        encoder_feedforward: int = 1024,
        dropout: float = 0.0,
        common_stride: int = 4,
        attention_impl: str = "auto",
    ) -> None:
        super().__init__()
        missing = [f for f in list(in_features) + list(transformer_in_features) if f not in input_shape]
        if missing:
            raise ValueError(
                f"MODEL.PIXEL_DECODER reads {missing}, but the backbone gives {sorted(input_shape)}; "
                "add them to the backbone's OUT_FEATURES"
            )
        by_stride = lambda names: sorted(names, key=lambda f: input_shape[f].stride)  # noqa: E731
        self.in_features = by_stride(in_features)
        self.transformer_in_features = by_stride(transformer_in_features)
        # deepest first (res5 -> res3), the order of the encoder's levels
        self.input_proj = nn.ModuleList(
            nn.Sequential(nn.Conv2d(input_shape[f].channels, conv_dim, 1), get_norm("GN", conv_dim))
            for f in self.transformer_in_features[::-1]
        )
        self.level_embed = nn.Parameter(torch.zeros(len(self.transformer_in_features), conv_dim))
        self.encoder = nn.ModuleList(
            DeformableEncoderLayer(conv_dim, encoder_feedforward, dropout, len(self.transformer_in_features),
                                   num_heads, num_points, attention_impl)
            for _ in range(encoder_layers)
        )
        self.conv_dim = conv_dim
        self.mask_features = nn.Conv2d(conv_dim, mask_dim, 1)
        self.common_stride = common_stride
        min_stride = min(input_shape[f].stride for f in self.transformer_in_features)
        self.num_fpn_levels = int(math.log2(min_stride) - math.log2(common_stride))
        fpn_features = self.in_features[: self.num_fpn_levels]
        # shallowest first (the authors' adapter_1, layer_1, ...); the top-down pass runs them in reverse
        self.lateral_convs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(input_shape[f].channels, conv_dim, 1, bias=not norm), get_norm(norm, conv_dim))
            for f in fpn_features
        )
        self.output_convs = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(conv_dim, conv_dim, 3, padding=1, bias=not norm), get_norm(norm, conv_dim), nn.ReLU()
            )
            for _ in fpn_features
        )
        self._fpn_features = fpn_features
        self._out_shapes = {MASK_FEATURES: ShapeSpec(mask_dim, common_stride)}
        for f in self.transformer_in_features[::-1]:
            stride = input_shape[f].stride
            self._out_shapes[level_name(stride)] = ShapeSpec(conv_dim, stride)

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        p = cfg.MODEL.PIXEL_DECODER
        return {
            "input_shape": input_shape,
            "in_features": list(p.IN_FEATURES),
            "transformer_in_features": list(p.TRANSFORMER_IN_FEATURES),
            "conv_dim": p.CONV_DIM,
            "mask_dim": p.MASK_DIM,
            "norm": p.NORM,
            "num_heads": p.NUM_HEADS,
            "num_points": p.NUM_POINTS,
            "encoder_layers": p.ENCODER_LAYERS,
            "encoder_feedforward": p.ENCODER_FEEDFORWARD,
            "dropout": p.DROPOUT,
            "common_stride": p.COMMON_STRIDE,
            "attention_impl": p.ATTENTION_IMPL,
        }

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return dict(self._out_shapes)

    def forward(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """In fp32 even under autocast, as the authors' (the deformable attention is not run in half precision)."""
        device_type = next(iter(features.values())).device.type
        with torch.autocast(device_type=device_type, enabled=False):
            return self._forward(features)

    def _forward(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        srcs, pos = [], []
        for proj, f in zip(self.input_proj, self.transformer_in_features[::-1]):
            x = features[f].float()
            srcs.append(proj(x))
            pos.append(sine_position_embedding(x, self.conv_dim // 2))
        n = srcs[0].shape[0]
        shapes = [tuple(s.shape[-2:]) for s in srcs]
        src = torch.cat([s.flatten(2).transpose(1, 2) for s in srcs], 1)
        pos_flat = torch.cat([p.flatten(2).transpose(1, 2) + self.level_embed[i] for i, p in enumerate(pos)], 1)
        ref = reference_points(shapes, n, src.device, src.dtype)
        for layer in self.encoder:
            src = layer(src, pos_flat, ref, shapes)
        outs = [
            y.transpose(1, 2).reshape(n, self.conv_dim, h, w)
            for y, (h, w) in zip(src.split([h * w for h, w in shapes], dim=1), shapes)
        ]
        result = {name: out for name, out in zip(list(self._out_shapes)[1:], outs)}
        y = outs[-1]
        for lateral, output, f in zip(self.lateral_convs[::-1], self.output_convs[::-1], self._fpn_features[::-1]):
            lat = lateral(features[f].float())
            y = output(lat + F.interpolate(y, size=lat.shape[-2:], mode="bilinear", align_corners=False))
        result[MASK_FEATURES] = self.mask_features(y)
        return result
