"""The Mix Transformer (MiT-B0..B5), SegFormer's hierarchical encoder, as a seg_engine backbone."""
from __future__ import annotations

import math
from typing import Any, Dict, Sequence

import torch
from torch import nn

from seg_engine.modeling import BACKBONE_REGISTRY, Backbone, ShapeSpec

from .mit_block import MiTBlock
from .overlap_patch_embed import OverlapPatchEmbed


class MiTStage(nn.Module):
    """An overlapping patch embedding, ``blocks`` MiT blocks and a closing LayerNorm; N x C x h x w out."""

    def __init__(self, patch_embed: OverlapPatchEmbed, blocks: Sequence[MiTBlock], norm: nn.LayerNorm) -> None:
        super().__init__()
        self.patch_embed = patch_embed
        self.blocks = nn.ModuleList(blocks)
        self.norm = norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (h, w) = self.patch_embed(x)
        for block in self.blocks:
            x = block(x, (h, w))
        return self.norm(x).transpose(1, 2).reshape(x.shape[0], -1, h, w)


class MixVisionTransformer(Backbone):
    """Four stages at strides 4, 8, 16, 32 (features ``res2``..``res5``), as Xie et al., "SegFormer: Simple
    and Efficient Design for Semantic Segmentation with Transformers" (NeurIPS 2021) and their
    ``mix_transformer.py``: stage i embeds with a ``patch_sizes[i]`` conv of stride ``strides[i]``, runs
    ``depths[i]`` blocks of width ``embed_dims[i]`` with ``num_heads[i]`` heads, keys/values reduced by
    ``sr_ratios[i]`` and a Mix-FFN of ``mlp_ratios[i]`` times the width, and closes with a LayerNorm.
    Stochastic depth rises linearly from 0 to ``drop_path_rate`` over all blocks.
    """

    def __init__(
        self,
        embed_dims: Sequence[int] = (32, 64, 160, 256),
        depths: Sequence[int] = (2, 2, 2, 2),
        num_heads: Sequence[int] = (1, 2, 5, 8),
        sr_ratios: Sequence[int] = (8, 4, 2, 1),
        mlp_ratios: Sequence[float] = (4, 4, 4, 4),
        patch_sizes: Sequence[int] = (7, 3, 3, 3),
        strides: Sequence[int] = (4, 2, 2, 2),
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        norm_eps: float = 1e-6,
        embed_norm_eps: float = 1e-5,
        out_features: Sequence[str] = ("res2", "res3", "res4", "res5"),
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        per_stage = dict(embed_dims=embed_dims, depths=depths, num_heads=num_heads, sr_ratios=sr_ratios,
                         mlp_ratios=mlp_ratios, patch_sizes=patch_sizes, strides=strides)
        lengths = {name: len(values) for name, values in per_stage.items()}
        if len(set(lengths.values())) != 1 or not embed_dims:
            raise ValueError(f"MixVisionTransformer: every per-stage list needs one entry per stage, got lengths {lengths}")
        total = sum(depths)
        rates = [drop_path_rate * k / max(total - 1, 1) for k in range(total)]
        names, shapes, stride, channels = [], {}, 1, in_channels
        stages = []
        for i, dim in enumerate(embed_dims):
            stride *= strides[i]
            first = sum(depths[:i])
            blocks = [
                MiTBlock(dim, num_heads[i], sr_ratios[i], mlp_ratios[i], qkv_bias, drop_rate, attn_drop_rate,
                         rates[first + j], norm_eps, embed_norm_eps)
                for j in range(depths[i])
            ]
            patch_embed = OverlapPatchEmbed(channels, dim, patch_sizes[i], strides[i], embed_norm_eps)
            stages.append(MiTStage(patch_embed, blocks, nn.LayerNorm(dim, eps=norm_eps)))
            name = f"res{int(math.log2(stride))}"
            names.append(name)
            shapes[name] = ShapeSpec(channels=dim, stride=stride)
            channels = dim
        self.stages = nn.ModuleList(stages)
        unknown = [f for f in out_features if f not in shapes]
        if unknown or not out_features:
            raise ValueError(f"MODEL.MIT.OUT_FEATURES must be among {names}, got {list(out_features)}")
        self._stage_names = names
        self._out_features = [n for n in names if n in out_features]
        self._out_shapes = shapes
        self.apply(_init_weights)

    @classmethod
    def from_config(cls, cfg) -> Dict[str, Any]:
        """The constructor's arguments from MODEL.MIT."""
        m = cfg.MODEL.MIT
        return dict(
            embed_dims=list(m.EMBED_DIMS), depths=list(m.DEPTHS), num_heads=list(m.NUM_HEADS),
            sr_ratios=list(m.SR_RATIOS), mlp_ratios=list(m.MLP_RATIOS), patch_sizes=list(m.PATCH_SIZES),
            strides=list(m.STRIDES), qkv_bias=m.QKV_BIAS, drop_rate=m.DROP_RATE, attn_drop_rate=m.ATTN_DROP_RATE,
            drop_path_rate=m.DROP_PATH_RATE, norm_eps=m.NORM_EPS, embed_norm_eps=m.EMBED_NORM_EPS,
            out_features=list(m.OUT_FEATURES),
        )

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out = {}
        for name, stage in zip(self._stage_names, self.stages):
            x = stage(x)
            if name in self._out_features:
                out[name] = x
        return out


def _init_weights(m: nn.Module) -> None:
    """The authors' initialisation: truncated normal (std 0.02) linear weights, convs normal with std
    sqrt(2 / fan_out), zero biases, LayerNorms 1 and 0."""
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv2d):
        fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
        nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
        if m.bias is not None:
            nn.init.zeros_(m.bias)


@BACKBONE_REGISTRY.register()
def build_mit_backbone(cfg) -> MixVisionTransformer:
    """MODEL.BACKBONE.NAME "build_mit_backbone": the MiT of MODEL.MIT."""
    return MixVisionTransformer(**MixVisionTransformer.from_config(cfg))
