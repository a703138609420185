"""transformers' ``Mask2FormerForUniversalSegmentation`` (its ``model.*`` and ``class_predictor.*`` keys) to
Mask2Former, for the recipes with the ResNet backbone (transformers' ResNetBackbone: ``embedder`` and
``encoder.stages.S.layers.I.{shortcut, layer.J}``).

The decoder's self-attention has separate q/k/v projections there and one packed ``in_proj`` here
(nn.MultiheadAttention, the authors' layout): they are concatenated in q, k, v order. The loss's
``criterion.empty_weight`` buffer and BN ``num_batches_tracked`` counters (FrozenBN here) are dropped.
"""
from __future__ import annotations

import re
from typing import Any, Dict

import torch

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

RESNET = r"^model\.pixel_level_module\.encoder\."
PIXEL = r"^model\.pixel_level_module\.decoder\."
TRANSFORMER = r"^model\.transformer_module\."

BACKBONE_RULES = [
    (RESNET + r"embedder\.embedder\.convolution\.", "backbone.conv1."),
    (RESNET + r"embedder\.embedder\.normalization\.", "backbone.bn1."),
    *[(RESNET + rf"encoder\.stages\.{s}\.layers\.(\d+)\.shortcut\.convolution\.", rf"backbone.layer{s + 1}.\1.downsample.0.")
      for s in range(4)],
    *[(RESNET + rf"encoder\.stages\.{s}\.layers\.(\d+)\.shortcut\.normalization\.", rf"backbone.layer{s + 1}.\1.downsample.1.")
      for s in range(4)],
    *[(RESNET + rf"encoder\.stages\.{s}\.layers\.(\d+)\.layer\.{j}\.convolution\.", rf"backbone.layer{s + 1}.\1.conv{j + 1}.")
      for s in range(4) for j in range(3)],
    *[(RESNET + rf"encoder\.stages\.{s}\.layers\.(\d+)\.layer\.{j}\.normalization\.", rf"backbone.layer{s + 1}.\1.bn{j + 1}.")
      for s in range(4) for j in range(3)],
]

PIXEL_DECODER_RULES = [
    (PIXEL + r"level_embed$", "neck.level_embed"),
    (PIXEL + r"input_projections\.", "neck.input_proj."),
    (PIXEL + r"encoder\.layers\.(\d+)\.self_attn\.", r"neck.encoder.\1.self_attn."),
    (PIXEL + r"encoder\.layers\.(\d+)\.self_attn_layer_norm\.", r"neck.encoder.\1.norm1."),
    (PIXEL + r"encoder\.layers\.(\d+)\.fc1\.", r"neck.encoder.\1.linear1."),
    (PIXEL + r"encoder\.layers\.(\d+)\.fc2\.", r"neck.encoder.\1.linear2."),
    (PIXEL + r"encoder\.layers\.(\d+)\.final_layer_norm\.", r"neck.encoder.\1.norm2."),
    (PIXEL + r"mask_projection\.", "neck.mask_features."),
    (PIXEL + r"adapter_(\d+)\.", r"neck.lateral_convs.<\1>."),
    (PIXEL + r"layer_(\d+)\.", r"neck.output_convs.<\1>."),
]

DECODER_RULES = [
    (TRANSFORMER + r"queries_embedder\.", "decode_head.query_embed."),
    (TRANSFORMER + r"queries_features\.", "decode_head.query_feat."),
    (TRANSFORMER + r"level_embed\.", "decode_head.level_embed."),
    (TRANSFORMER + r"input_projections\.", "decode_head.input_proj."),
    (TRANSFORMER + r"decoder\.layers\.(\d+)\.self_attn\.", r"decode_head.layers.\1.self_attn."),
    (TRANSFORMER + r"decoder\.layers\.(\d+)\.self_attn_layer_norm\.", r"decode_head.layers.\1.self_attn_norm."),
    (TRANSFORMER + r"decoder\.layers\.(\d+)\.cross_attn\.", r"decode_head.layers.\1.cross_attn."),
    (TRANSFORMER + r"decoder\.layers\.(\d+)\.cross_attn_layer_norm\.", r"decode_head.layers.\1.cross_attn_norm."),
    (TRANSFORMER + r"decoder\.layers\.(\d+)\.fc1\.", r"decode_head.layers.\1.linear1."),
    (TRANSFORMER + r"decoder\.layers\.(\d+)\.fc2\.", r"decode_head.layers.\1.linear2."),
    (TRANSFORMER + r"decoder\.layers\.(\d+)\.final_layer_norm\.", r"decode_head.layers.\1.ffn_norm."),
    (TRANSFORMER + r"decoder\.layernorm\.", "decode_head.decoder_norm."),
    (TRANSFORMER + r"decoder\.mask_predictor\.mask_embedder\.(\d+)\.0\.", r"decode_head.mask_embed.layers.\1."),
    (r"^class_predictor\.", "decode_head.class_embed."),
]

DROP = [r"^criterion\.empty_weight$", r".*\.num_batches_tracked$"]

_QKV = re.compile(r"^(.*\.self_attn)\.q_proj\.(weight|bias)$")


def pack_self_attention(state: Dict[str, Any]) -> Dict[str, Any]:
    """``<layer>.self_attn.{q,k,v}_proj.{weight,bias}`` -> ``<layer>.self_attn.in_proj_{weight,bias}``."""
    out = dict(state)
    for key in list(state):
        m = _QKV.match(key)
        if not m or "transformer_module" not in key:
            continue
        prefix, kind = m.groups()
        parts = [out.pop(f"{prefix}.{p}_proj.{kind}") for p in ("q", "k", "v")]
        out[f"{prefix}.in_proj_{kind}"] = torch.cat(parts, 0)
    return out


def convert_hf_mask2former_head(state: Dict[str, Any]) -> Dict[str, Any]:
    """The pixel decoder, the transformer decoder and the class predictor (any backbone)."""
    return rename_keys(pack_self_attention(state), PIXEL_DECODER_RULES + DECODER_RULES, drop=DROP)


@WEIGHT_CONVERTERS.register()
def hf_mask2former(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For the ResNet recipes (mask2former_R50_*_hf): transformers' ResNet backbone and the heads."""
    backbone = {k: v for k, v in state_dict.items() if re.match(RESNET, k)}
    rest = {k: v for k, v in state_dict.items() if not re.match(RESNET, k)}
    return {**rename_keys(backbone, BACKBONE_RULES, drop=DROP), **convert_hf_mask2former_head(rest)}
