"""Rename rules of the backbone and head layouts that several sources share, each a module-level list
for :func:`seg_engine.checkpoint.rename_keys` applied to keys under a ``backbone.`` prefix (the converters
add it to ImageNet files), plus the one weight reordering a layout needs (mmsegmentation's patch merging).
"""
from __future__ import annotations

from typing import Any, Dict

import torch

from seg_engine.checkpoint import rename_keys

# The authors' Swin (Swin-Transformer, its segmentation code, timm before 0.9): our own names.
SWIN_AUTHORS = [
    (r"backbone\.(patch_embed|layers|norm\d)\.", r"backbone.\1."),
]
# Buffers derived from the window size (and, in the classifier, the shifted-window masks) and the classifier.
SWIN_DERIVED = [r"backbone\..*relative_position_index", r"backbone\..*attn_mask"]
SWIN_CLASSIFIER = [r"backbone\.norm\.", r"backbone\.head\."]

# mmsegmentation 1.x's SwinTransformer (its tools/model_converters/swin2mmseg.py renames the authors').
SWIN_MMSEG = [
    (r"backbone\.patch_embed\.projection\.", "backbone.patch_embed.proj."),
    (r"backbone\.patch_embed\.norm\.", "backbone.patch_embed.norm."),
    (r"backbone\.stages\.(\d+)\.blocks\.(\d+)\.attn\.w_msa\.", r"backbone.layers.\1.blocks.\2.attn."),
    (r"backbone\.stages\.(\d+)\.blocks\.(\d+)\.ffn\.layers\.0\.0\.", r"backbone.layers.\1.blocks.\2.mlp.fc1."),
    (r"backbone\.stages\.(\d+)\.blocks\.(\d+)\.ffn\.layers\.1\.", r"backbone.layers.\1.blocks.\2.mlp.fc2."),
    (r"backbone\.stages\.(\d+)\.blocks\.(\d+)\.(norm[12])\.", r"backbone.layers.\1.blocks.\2.\3."),
    (r"backbone\.stages\.(\d+)\.downsample\.", r"backbone.layers.\1.downsample."),
    (r"backbone\.(norm\d)\.", r"backbone.\1."),
]

# transformers' Swin in UperNet, in the layout of version 5 (``swin.`` prefix, q/k/v/o_proj, mlp.fc1/fc2) and
# of the files on the hub written by version 4 (attention.self.query, intermediate.dense, output.dense;
# transformers' own conversion_mapping.py maps the one to the other). q, k and v are concatenated into qkv.
_HF_BLOCK = r"backbone\.(?:swin\.)?encoder\.layers\.(\d+)\.blocks\.(\d+)\."
_OUR_BLOCK = r"backbone.layers.\1.blocks.\2."
SWIN_HF = [
    (r"backbone\.(?:swin\.)?embeddings\.patch_embeddings\.projection\.", "backbone.patch_embed.proj."),
    (r"backbone\.(?:swin\.)?embeddings\.norm\.", "backbone.patch_embed.norm."),
    (_HF_BLOCK + r"layernorm_before\.", _OUR_BLOCK + "norm1."),
    (_HF_BLOCK + r"layernorm_after\.", _OUR_BLOCK + "norm2."),
    (_HF_BLOCK + r"attention\.(?:relative_position_bias|self)\.relative_position_bias_table",
     _OUR_BLOCK + "attn.relative_position_bias_table"),
    (_HF_BLOCK + r"attention\.(?:o_proj|output\.dense)\.", _OUR_BLOCK + "attn.proj."),
    (_HF_BLOCK + r"(?:mlp\.fc1|intermediate\.dense)\.", _OUR_BLOCK + "mlp.fc1."),
    (_HF_BLOCK + r"(?:mlp\.fc2|output\.dense)\.", _OUR_BLOCK + "mlp.fc2."),
    (r"backbone\.(?:swin\.)?encoder\.layers\.(\d+)\.downsample\.", r"backbone.layers.\1.downsample."),
    (r"backbone\.hidden_states_norms\.stage(\d)\.", r"backbone.norm<\1>."),
]
SWIN_HF_DROP = [r"backbone\.(?:swin\.)?layernorm\.", r"backbone\..*relative_position_index"]
_HF_QKV = r"(backbone\.(?:swin\.)?encoder\.layers\.\d+\.blocks\.\d+\.attention\.)(?:q_proj|k_proj|v_proj|self\.query|self\.key|self\.value)\.(weight|bias)$"

# ConvNeXt: the authors' names are ours; mmpretrain's (mmsegmentation's configs) and transformers' differ.
CONVNEXT_AUTHORS = [(r"backbone\.(downsample_layers|stages|norm\d)\.", r"backbone.\1.")]
CONVNEXT_MMPRETRAIN = [
    (r"backbone\.stages\.(\d+)\.(\d+)\.depthwise_conv\.", r"backbone.stages.\1.\2.dwconv."),
    (r"backbone\.stages\.(\d+)\.(\d+)\.pointwise_conv([12])\.", r"backbone.stages.\1.\2.pwconv\3."),
    (r"backbone\.(downsample_layers|stages|norm\d)\.", r"backbone.\1."),
]
CONVNEXT_HF = [
    (r"backbone\.embeddings\.patch_embeddings\.", "backbone.downsample_layers.0.0."),
    (r"backbone\.embeddings\.layernorm\.", "backbone.downsample_layers.0.1."),
    (r"backbone\.encoder\.stages\.(\d+)\.downsampling_layer\.", r"backbone.downsample_layers.\1."),
    (r"backbone\.encoder\.stages\.(\d+)\.layers\.(\d+)\.layernorm\.", r"backbone.stages.\1.\2.norm."),
    (r"backbone\.encoder\.stages\.(\d+)\.layers\.(\d+)\.layer_scale_parameter", r"backbone.stages.\1.\2.gamma"),
    (r"backbone\.encoder\.stages\.(\d+)\.layers\.(\d+)\.", r"backbone.stages.\1.\2."),
    (r"backbone\.hidden_states_norms\.stage(\d)\.", r"backbone.norm<\1>."),
]

# mmsegmentation's (and transformers') UPerHead and FCNHead: ConvModule conv/bn (transformers: batch_norm).
_CONV_NORM = r"\.(?:conv|bn|batch_norm)\."
HEAD_MMSEG = [
    (rf"decode_head\.psp_modules\.(\d+)\.1\.conv\.", r"decode_head.ppm.branches.\1.1.0."),
    (rf"decode_head\.psp_modules\.(\d+)\.1\.(?:bn|batch_norm)\.", r"decode_head.ppm.branches.\1.1.1."),
    (r"decode_head\.(bottleneck|fpn_bottleneck)\.conv\.", r"decode_head.\1.0."),
    (r"decode_head\.(bottleneck|fpn_bottleneck)\.(?:bn|batch_norm)\.", r"decode_head.\1.1."),
    (r"decode_head\.(lateral_convs|fpn_convs)\.(\d+)\.conv\.", r"decode_head.\1.\2.0."),
    (r"decode_head\.(lateral_convs|fpn_convs)\.(\d+)\.(?:bn|batch_norm)\.", r"decode_head.\1.\2.1."),
    (r"decode_head\.(?:conv_seg|classifier)\.", "decode_head.classifier."),
    (r"auxiliary_head\.convs\.0\.conv\.", "aux_head.convs.0.0."),
    (r"auxiliary_head\.convs\.0\.(?:bn|batch_norm)\.", "aux_head.convs.0.1."),
    (r"auxiliary_head\.(?:conv_seg|classifier)\.", "aux_head.classifier."),
]


def split_by_prefix(state: Dict[str, Any], prefix: str = "backbone."):
    """(the keys under ``prefix``, the others)."""
    inside = {k: v for k, v in state.items() if k.startswith(prefix)}
    return inside, {k: v for k, v in state.items() if not k.startswith(prefix)}


def with_prefix(state: Dict[str, Any], prefix: str = "backbone.") -> Dict[str, Any]:
    """ImageNet files hold the backbone's keys alone: put them under ``prefix`` (a leading one is kept)."""
    return {k if k.startswith(prefix) else prefix + k: v for k, v in state.items()}


def unfold_to_neighbour_order(key: str, value: torch.Tensor) -> torch.Tensor:
    """mmsegmentation's patch merging concatenates the 2x2 neighbours by nn.Unfold (channel-major, the
    neighbours (0,0), (0,1), (1,0), (1,1)); ours and the authors' neighbour-major as (0,0), (1,0), (0,1),
    (1,1). The inverse of mmseg's swin2mmseg ``correct_unfold_*_order`` for ``downsample`` weights."""
    if key.endswith("downsample.reduction.weight"):
        out, in4 = value.shape
        return value.reshape(out, in4 // 4, 4).transpose(1, 2)[:, [0, 2, 1, 3]].reshape(out, in4)
    if ".downsample.norm." in key:
        return value.reshape(-1, 4).transpose(0, 1)[[0, 2, 1, 3]].reshape(-1)
    return value


def swin_mmseg(backbone: Dict[str, Any], drop=()) -> Dict[str, Any]:
    renamed = rename_keys(backbone, SWIN_MMSEG, SWIN_DERIVED + list(drop))
    return {k: unfold_to_neighbour_order(k, v) for k, v in renamed.items()}


def swin_hf(backbone: Dict[str, Any]) -> Dict[str, Any]:
    """transformers' Swin (either layout), q/k/v concatenated into qkv."""
    import re

    pattern = re.compile(_HF_QKV)
    parts: Dict[tuple, Dict[str, Any]] = {}
    rest = {}
    for k, v in backbone.items():
        m = pattern.match(k)
        if m:
            kind = "q" if ("q_proj" in k or "self.query" in k) else "k" if ("k_proj" in k or "self.key" in k) else "v"
            parts.setdefault((m.group(1), m.group(2)), {})[kind] = v
        else:
            rest[k] = v
    out = rename_keys(rest, SWIN_HF, SWIN_HF_DROP)
    for (prefix, kind), qkv in parts.items():
        if set(qkv) != {"q", "k", "v"}:
            raise KeyError(f"{prefix}: query, key and value {kind}s come together, got only {sorted(qkv)}")
        block = re.match(r"backbone\.(?:swin\.)?encoder\.layers\.(\d+)\.blocks\.(\d+)\.", prefix)
        out[f"backbone.layers.{block.group(1)}.blocks.{block.group(2)}.attn.qkv.{kind}"] = torch.cat(
            [qkv["q"], qkv["k"], qkv["v"]])
    return out
