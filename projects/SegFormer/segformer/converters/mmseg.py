"""mmsegmentation 1.x's SegFormer (``segformer_mit-b*``) and its ImageNet MiT files (``mit_b*_20220624``).

Their MiT: ``layers.<i>.0`` the patch embedding (``projection``, ``norm``), ``layers.<i>.1.<j>`` the blocks
(``norm1``, ``attn.attn.{in_proj_weight,in_proj_bias,out_proj}`` of nn.MultiheadAttention, ``attn.sr``,
``attn.norm``, ``norm2``, ``ffn.layers.{0,1,4}`` = 1x1 conv, depthwise 3x3, 1x1 conv), ``layers.<i>.2``
the closing norm. Their head: ``decode_head.convs.<i>.{conv,bn}``, ``fusion_conv.{conv,bn}``, ``conv_seg``.
The packed q/k/v projection is split into our ``q`` and ``kv``; the FFN's 1x1 convs become Linear weights.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import conv_module, conv_seg

MMSEG_ADE20K = "seg_engine://SegFormer/ade20k/segformer_mit-b0_512x512_160k_ade20k_mmseg.yaml"
_LAYERS = r"(?:backbone\.)?layers\.(\d+)\."  # ImageNet files have no backbone. prefix
_BLOCK = _LAYERS + r"1\.(\d+)\."
_OURS = r"backbone.stages.\1.blocks.\2."
BACKBONE_RULES = [
    (_LAYERS + r"0\.projection\.", r"backbone.stages.\1.patch_embed.proj."),
    (_LAYERS + r"0\.norm\.", r"backbone.stages.\1.patch_embed.norm."),
    (_BLOCK + r"attn\.attn\.q_proj_", _OURS + "attn.q."),
    (_BLOCK + r"attn\.attn\.kv_proj_", _OURS + "attn.kv."),
    (_BLOCK + r"attn\.attn\.out_proj\.", _OURS + "attn.proj."),
    (_BLOCK + r"attn\.(sr|norm)\.", _OURS + r"attn.\3."),
    (_BLOCK + r"(norm1|norm2)\.", _OURS + r"\3."),
    (_BLOCK + r"ffn\.layers\.0\.", _OURS + "ffn.fc1."),
    (_BLOCK + r"ffn\.layers\.1\.", _OURS + "ffn.dwconv."),
    (_BLOCK + r"ffn\.layers\.4\.", _OURS + "ffn.fc2."),
    (_LAYERS + r"2\.", r"backbone.stages.\1.norm."),
]


def split_attention_and_ffn(state: Dict[str, Any]) -> Dict[str, Any]:
    """``in_proj_weight``/``in_proj_bias`` (q, k, v stacked) as ``q_proj_*`` and ``kv_proj_*`` (k, v); the FFN's
    1x1 conv weights (``ffn.layers.0``/``4``) as matrices."""
    out = {}
    for name, tensor in state.items():
        if ".attn.attn.in_proj_" in name:
            width = tensor.shape[0] // 3
            base, kind = name.split("in_proj_")
            out[f"{base}q_proj_{kind}"] = tensor[:width]
            out[f"{base}kv_proj_{kind}"] = tensor[width:]
        elif tensor.ndim == 4 and (".ffn.layers.0.weight" in name or ".ffn.layers.4.weight" in name):
            out[name] = tensor.flatten(1)
        else:
            out[name] = tensor
    return out


register_layout(WeightLayout(
    name="mmseg_mit",
    source="mmsegmentation's ImageNet MiTs (mit_b0_20220624-7e0fe6dd.pth ..., the authors' mit_b*.pth through its "
           "mit2mmseg.py), keys with or without backbone.; packed q/k/v split, the FFN's 1x1 convs as matrices",
    rules=BACKBONE_RULES,
    prepare=split_attention_and_ffn,
    recipe=MMSEG_ADE20K,
))
register_layout(WeightLayout(
    name="mmseg_segformer",
    source="mmsegmentation's trained SegFormers (segformer_mit-b*_8xb2-160k_ade20k-512x512, ...) for the _mmseg "
           "recipes (MODEL.SEGFORMER.HEAD_FORM mmseg, every LayerNorm with eps 1e-6)",
    rules=conv_module(r"decode_head\.convs\.(\d+)", r"decode_head.embeds.\1")
    + conv_module(r"decode_head\.fusion_conv", "decode_head.fuse")
    + conv_seg("decode_head", "decode_head"),
    reuses=[("backbone.", "mmseg_mit")],
    recipe=MMSEG_ADE20K,
))
