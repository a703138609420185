"""Mask2Former's transformer decoder with masked attention (the authors' MultiScaleMaskedTransformerDecoder).

NUM_QUERIES learned queries go through DEC_LAYERS layers; layer i cross-attends to scale i mod 3 of the
pixel decoder (stride 32, 16, 8, 32, ...), only where the mask that the previous prediction gives the
query is foreground (sigmoid >= 0.5, resized to that scale); a query whose mask is empty everywhere
attends everywhere (the all-masked-row fix). Each layer is cross-attention, self-attention, feed-forward.
A prediction (class logits over NUM_CLASSES + 1 "no object", and mask logits = mask embedding . mask
features) is made before the first layer and after each: the last is the output, the others are
deeply supervised in training.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec

from .pixel_decoder import MASK_FEATURES
from .position_encoding import sine_position_embedding


class MLP(nn.Module):
    """Linear layers with ReLU between them (``layers.i``, the authors' names)."""

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int, num_layers: int) -> None:
        super().__init__()
        dims = [in_dim] + [hidden_dim] * (num_layers - 1)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:] + [out_dim]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == len(self.layers) - 1 else F.relu(layer(x))
        return x


class MaskedAttentionDecoderLayer(nn.Module):
    """Masked cross-attention to one scale, self-attention among the queries, a ReLU feed-forward;
    each a residual block with LayerNorm after (or, with ``pre_norm``, before) it."""

    def __init__(self, dim: int, num_heads: int, feedforward: int, dropout: float, pre_norm: bool) -> None:
        super().__init__()
        self.pre_norm = pre_norm
        self.cross_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout)
        self.cross_attn_norm = nn.LayerNorm(dim)
        self.self_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout)
        self.self_attn_norm = nn.LayerNorm(dim)
        self.linear1 = nn.Linear(dim, feedforward)
        self.linear2 = nn.Linear(feedforward, dim)
        self.ffn_norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def _residual(self, x: torch.Tensor, norm: nn.LayerNorm, block) -> torch.Tensor:
        if self.pre_norm:
            return x + self.dropout(block(norm(x)))
        return norm(x + self.dropout(block(x)))

    def forward(self, queries: torch.Tensor, query_pos: torch.Tensor, memory: torch.Tensor, memory_pos: torch.Tensor,
                attn_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """queries, query_pos: Q x N x dim; memory, memory_pos: HW x N x dim; attn_mask: (N * heads) x Q x HW,
        True where a query may not attend."""
        queries = self._residual(
            queries, self.cross_attn_norm,
            lambda q: self.cross_attn(q + query_pos, memory + memory_pos, memory, attn_mask=attn_mask,
                                      need_weights=False)[0],
        )
        queries = self._residual(
            queries, self.self_attn_norm,
            lambda q: self.self_attn(q + query_pos, q + query_pos, q, need_weights=False)[0],
        )
        return self._residual(
            queries, self.ffn_norm, lambda q: self.linear2(self.dropout(F.relu(self.linear1(q))))
        )


@HEAD_REGISTRY.register()
class MaskedAttentionHead(nn.Module):
    """Pixel-decoder outputs -> ``{"pred_logits": N x Q x (C+1), "pred_masks": N x Q x H/4 x W/4,
    "aux_outputs": [the same, before the first layer and after each but the last]}`` (aux in training
    with deep supervision). ``in_features``: the mask features and the three scales the layers attend to
    (taken coarsest first). Built from explicit arguments; :meth:`from_config` reads its head node
    (IN_FEATURES) and MODEL.MASK_FORMER."""

    def __init__(
        self,
        input_shape: Dict[str, ShapeSpec],
        num_classes: int,
        in_features: Sequence[str] = (MASK_FEATURES, "p5", "p4", "p3"),
        hidden_dim: int = 256,
        num_queries: int = 100,
        num_heads: int = 8,
        dim_feedforward: int = 2048,
        dec_layers: int = 9,
        pre_norm: bool = False,
        mask_dim: int = 256,
        enforce_input_proj: bool = False,
        dropout: float = 0.0,
        deep_supervision: bool = True,
    ) -> None:
        super().__init__()
        scales = sorted((k for k in in_features if k != MASK_FEATURES), key=lambda k: -input_shape[k].stride)
        self.num_scales = 3
        if MASK_FEATURES not in in_features or len(scales) != self.num_scales:
            raise ValueError(f"MODEL.HEAD.IN_FEATURES must name {MASK_FEATURES!r} and three scales of the pixel "
                             f"decoder ({sorted(input_shape)}), got {list(in_features)}")
        self.in_features = scales  # coarsest first: stride 32, 16, 8
        self.num_heads = num_heads
        self.deep_supervision = deep_supervision
        self.layers = nn.ModuleList(
            MaskedAttentionDecoderLayer(hidden_dim, num_heads, dim_feedforward, dropout, pre_norm)
            for _ in range(dec_layers)
        )
        self.decoder_norm = nn.LayerNorm(hidden_dim)
        self.query_feat = nn.Embedding(num_queries, hidden_dim)
        self.query_embed = nn.Embedding(num_queries, hidden_dim)
        self.level_embed = nn.Embedding(self.num_scales, hidden_dim)
        self.input_proj = nn.ModuleList(
            nn.Conv2d(input_shape[f].channels, hidden_dim, 1)
            if input_shape[f].channels != hidden_dim or enforce_input_proj else nn.Identity()
            for f in self.in_features
        )
        self.class_embed = nn.Linear(hidden_dim, num_classes + 1)
        self.mask_embed = MLP(hidden_dim, hidden_dim, mask_dim, 3)
        self.hidden_dim = hidden_dim

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        m = cfg.MODEL.MASK_FORMER
        return {
            "input_shape": input_shape,
            "num_classes": cfg.MODEL.NUM_CLASSES,
            "in_features": list(head_cfg.IN_FEATURES),
            "hidden_dim": m.HIDDEN_DIM,
            "num_queries": m.NUM_QUERIES,
            "num_heads": m.NHEADS,
            "dim_feedforward": m.DIM_FEEDFORWARD,
            "dec_layers": m.DEC_LAYERS,
            "pre_norm": m.PRE_NORM,
            "mask_dim": input_shape[MASK_FEATURES].channels,
            "enforce_input_proj": m.ENFORCE_INPUT_PROJ,
            "dropout": m.DROPOUT,
            "deep_supervision": m.DEEP_SUPERVISION,
        }

    def forward(self, features: Dict[str, torch.Tensor]) -> Dict[str, object]:
        mask_features = features[MASK_FEATURES]
        memory, memory_pos, sizes = [], [], []
        for i, f in enumerate(self.in_features):
            x = features[f]
            sizes.append(tuple(x.shape[-2:]))
            memory_pos.append(sine_position_embedding(x, self.hidden_dim // 2).flatten(2).permute(2, 0, 1))
            memory.append((self.input_proj[i](x).flatten(2) + self.level_embed.weight[i][None, :, None]).permute(2, 0, 1))
        n = mask_features.shape[0]
        query_pos = self.query_embed.weight.unsqueeze(1).repeat(1, n, 1)
        queries = self.query_feat.weight.unsqueeze(1).repeat(1, n, 1)

        logits, masks, attn_mask = self._predict(queries, mask_features, sizes[0])
        predictions = [(logits, masks)]
        for i, layer in enumerate(self.layers):
            level = i % self.num_scales
            # a query whose mask covers nothing attends everywhere instead of nowhere (NaN)
            attn_mask = attn_mask & ~attn_mask.all(-1, keepdim=True)
            queries = layer(queries, query_pos, memory[level], memory_pos[level], attn_mask)
            logits, masks, attn_mask = self._predict(queries, mask_features, sizes[(i + 1) % self.num_scales])
            predictions.append((logits, masks))
        out: Dict[str, object] = {"pred_logits": predictions[-1][0], "pred_masks": predictions[-1][1]}
        if self.training and self.deep_supervision:
            out["aux_outputs"] = [{"pred_logits": c, "pred_masks": m} for c, m in predictions[:-1]]
        return out

    def _predict(self, queries: torch.Tensor, mask_features: torch.Tensor, attn_size):
        """Class and mask logits of the queries (Q x N x dim), and the next layer's attention mask."""
        x = self.decoder_norm(queries).transpose(0, 1)
        logits = self.class_embed(x)
        masks = torch.einsum("bqc,bchw->bqhw", self.mask_embed(x), mask_features)
        attn = F.interpolate(masks, size=attn_size, mode="bilinear", align_corners=False)
        attn = attn.sigmoid().flatten(2).unsqueeze(1).repeat(1, self.num_heads, 1, 1).flatten(0, 1) < 0.5
        return logits, masks, attn.detach()

