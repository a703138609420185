"""transformers' ``Mask2FormerForUniversalSegmentation`` (its ``model.*`` and ``class_predictor.*`` keys), one layout
per backbone: ``hf_mask2former`` for the ResNet recipes (transformers' ResNetBackbone: ``embedder`` and
``encoder.stages.S.layers.I.{shortcut, layer.J}``) and ``hf_mask2former_swin`` for the Swin recipes (its
SwinBackbone: ``swin.embeddings``, ``swin.encoder.layers.I.blocks.J.{layernorm_before, attention, layernorm_after, mlp}``, ``hidden_states_norms``).

The decoder's self-attention and Swin's window attention have separate q/k/v projections there and one
packed projection here (nn.MultiheadAttention's ``in_proj``, Swin's ``qkv``: the authors' layouts): they
are concatenated in q, k, v order. Dropped: the loss's ``criterion.empty_weight`` buffer, BN
``num_batches_tracked`` counters (FrozenBN here) and SwinBackbone's unused final ``swin.layernorm``.
"""
from __future__ import annotations

import re
from typing import Any, Dict

import torch

from seg_engine.checkpoint import WeightLayout, register_layout

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

SWIN = RESNET + r"swin\."
SWIN_RULES = [
    (SWIN + r"embeddings\.patch_embeddings\.projection\.", "backbone.patch_embed.proj."),
    (SWIN + r"embeddings\.norm\.", "backbone.patch_embed.norm."),
    (SWIN + r"encoder\.layers\.(\d+)\.blocks\.(\d+)\.layernorm_before\.", r"backbone.layers.\1.blocks.\2.norm1."),
    (SWIN + r"encoder\.layers\.(\d+)\.blocks\.(\d+)\.layernorm_after\.", r"backbone.layers.\1.blocks.\2.norm2."),
    (SWIN + r"encoder\.layers\.(\d+)\.blocks\.(\d+)\.attention\.qkv\.", r"backbone.layers.\1.blocks.\2.attn.qkv."),
    (SWIN + r"encoder\.layers\.(\d+)\.blocks\.(\d+)\.attention\.o_proj\.", r"backbone.layers.\1.blocks.\2.attn.proj."),
    (SWIN + r"encoder\.layers\.(\d+)\.blocks\.(\d+)\.attention\.relative_position_bias\.relative_position_bias_table$",
     r"backbone.layers.\1.blocks.\2.attn.relative_position_bias_table"),
    (SWIN + r"encoder\.layers\.(\d+)\.blocks\.(\d+)\.mlp\.", r"backbone.layers.\1.blocks.\2.mlp."),
    (SWIN + r"encoder\.layers\.(\d+)\.downsample\.", r"backbone.layers.\1.downsample."),
    (RESNET + r"hidden_states_norms\.stage(\d)\.", r"backbone.norm<\1>."),
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

DROP = [r"^criterion\.empty_weight$", r".*\.num_batches_tracked$", SWIN + r"layernorm\."]

_Q_PROJ = re.compile(r"^(.*)\.q_proj\.(weight|bias)$")


def pack_qkv(state: Dict[str, Any]) -> Dict[str, Any]:
    """``P.{q,k,v}_proj.X`` -> ``P.in_proj_X`` in the transformer decoder (nn.MultiheadAttention) and
    ``P.qkv.X`` elsewhere (Swin's window attention), concatenated in q, k, v order."""
    out = dict(state)
    for key in list(state):
        m = _Q_PROJ.match(key)
        if not m:
            continue
        prefix, kind = m.groups()
        parts = [out.pop(f"{prefix}.{p}_proj.{kind}") for p in ("q", "k", "v")]
        packed = f"{prefix}.in_proj_{kind}" if key.startswith("model.transformer_module.") else f"{prefix}.qkv.{kind}"
        out[packed] = torch.cat(parts, 0)
    return out


HEAD_RULES = PIXEL_DECODER_RULES + DECODER_RULES
RECIPES = "seg_engine://Mask2Former/ade20k/"
# Their key tables are checked in tests/test_converter_keys.py: q, k and v become new packed tensors, which the
# generic one-tensor-per-key test cannot follow.
register_layout(WeightLayout(
    name="hf_mask2former",
    source="transformers' Mask2FormerForUniversalSegmentation with its ResNetBackbone (facebook/mask2former-*): "
           "q, k and v packed, BN counters and the loss's empty_weight dropped",
    rules=BACKBONE_RULES + HEAD_RULES,
    drop=DROP,
    prepare=pack_qkv,
    recipe=RECIPES + "mask2former_r50_512x512_160k_ade20k_hf.yaml",
))
register_layout(WeightLayout(
    name="hf_mask2former_swin",
    source="transformers' Mask2FormerForUniversalSegmentation with its SwinBackbone (facebook/mask2former-swin-*): "
           "q, k and v packed, hidden_states_norms as the per-stage norms, the unused final layernorm dropped",
    rules=SWIN_RULES + HEAD_RULES,
    drop=DROP,
    prepare=pack_qkv,
    recipe=RECIPES + "mask2former_swin-t_512x512_160k_ade20k_hf.yaml",
))
