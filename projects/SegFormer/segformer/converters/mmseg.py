"""mmsegmentation 1.x's SegFormer (``segformer_mit-b*``) and its ImageNet MiT files (``mit_b*_20220624``).

Their MiT: ``layers.<i>.0`` the patch embedding (``projection``, ``norm``), ``layers.<i>.1.<j>`` the blocks
(``norm1``, ``attn.attn.{in_proj_weight,in_proj_bias,out_proj}`` of nn.MultiheadAttention, ``attn.sr``,
``attn.norm``, ``norm2``, ``ffn.layers.{0,1,4}`` = 1x1 conv, depthwise 3x3, 1x1 conv), ``layers.<i>.2``
the closing norm. Their head: ``decode_head.convs.<i>.{conv,bn}``, ``fusion_conv.{conv,bn}``, ``conv_seg``.
The packed q/k/v projection is split into our ``q`` and ``kv``; the FFN's 1x1 convs become Linear weights.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

_BLOCK = r"backbone\.layers\.(\d+)\.1\.(\d+)\."
_OURS = r"backbone.stages.\1.blocks.\2."
BACKBONE_RULES = [
    (r"backbone\.layers\.(\d+)\.0\.projection\.", r"backbone.stages.\1.patch_embed.proj."),
    (r"backbone\.layers\.(\d+)\.0\.norm\.", r"backbone.stages.\1.patch_embed.norm."),
    (_BLOCK + r"attn\.attn\.q_proj_", _OURS + "attn.q."),
    (_BLOCK + r"attn\.attn\.kv_proj_", _OURS + "attn.kv."),
    (_BLOCK + r"attn\.attn\.out_proj\.", _OURS + "attn.proj."),
    (_BLOCK + r"attn\.(sr|norm)\.", _OURS + r"attn.\3."),
    (_BLOCK + r"(norm1|norm2)\.", _OURS + r"\3."),
    (_BLOCK + r"ffn\.layers\.0\.", _OURS + "ffn.fc1."),
    (_BLOCK + r"ffn\.layers\.1\.", _OURS + "ffn.dwconv."),
    (_BLOCK + r"ffn\.layers\.4\.", _OURS + "ffn.fc2."),
    (r"backbone\.layers\.(\d+)\.2\.", r"backbone.stages.\1.norm."),
]
HEAD_RULES = [
    (r"decode_head\.convs\.(\d+)\.conv\.", r"decode_head.embeds.\1.0."),
    (r"decode_head\.convs\.(\d+)\.bn\.", r"decode_head.embeds.\1.1."),
    (r"decode_head\.fusion_conv\.conv\.", "decode_head.fuse.0."),
    (r"decode_head\.fusion_conv\.bn\.", "decode_head.fuse.1."),
    (r"decode_head\.conv_seg\.", "decode_head.classifier."),
]
RULES = BACKBONE_RULES + HEAD_RULES


def split_attention_and_ffn(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """``in_proj_weight``/``in_proj_bias`` (q, k, v stacked) as ``q_proj_*`` and ``kv_proj_*`` (k, v);
    the FFN's 1x1 conv weights (``ffn.layers.0``/``4``) as matrices."""
    out = {}
    for name, tensor in state_dict.items():
        if ".attn.attn.in_proj_" in name:
            width = tensor.shape[0] // 3
            kind = name.rsplit("in_proj_", 1)[1]
            base = name.split("in_proj_")[0]
            out[f"{base}q_proj_{kind}"] = tensor[:width]
            out[f"{base}kv_proj_{kind}"] = tensor[width:]
        elif tensor.ndim == 4 and (".ffn.layers.0.weight" in name or ".ffn.layers.4.weight" in name):
            out[name] = tensor.flatten(1)
        else:
            out[name] = tensor
    return out


@WEIGHT_CONVERTERS.register()
def mmseg_segformer(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """mmsegmentation's trained SegFormers for the ``_mmseg`` recipes (MODEL.SEGFORMER.HEAD_FORM "mmseg",
    every LayerNorm with eps 1e-6)."""
    return rename_keys(split_attention_and_ffn(state_dict), RULES)


@WEIGHT_CONVERTERS.register()
def mmseg_mit(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """mmsegmentation's ImageNet MiT files (``mit_b0_20220624-7e0fe6dd.pth`` ..., the authors' ``mit_b*.pth``
    through its ``mit2mmseg.py``); keys with or without ``backbone.``."""
    state = {k if k.startswith("backbone.") else f"backbone.{k}": v for k, v in state_dict.items()}
    return rename_keys(split_attention_and_ffn(state), BACKBONE_RULES)
