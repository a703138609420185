"""transformers' ``UperNetForSemanticSegmentation`` with a Swin or a ConvNeXt backbone (the hub's
openmmlab/upernet-swin-* and openmmlab/upernet-convnext-*, written by transformers 4, or a ``state_dict()`` of
transformers 5), one layout per backbone.

Their keys: ``backbone.(swin.)embeddings``, ``backbone.(swin.)encoder.layers.i.blocks.j`` (Swin) or
``backbone.embeddings``/``backbone.encoder.stages.i`` (ConvNeXt), ``backbone.hidden_states_norms.stageK``,
``decode_head.{psp_modules, bottleneck, lateral_convs, fpn_convs, fpn_bottleneck}.*.{conv,batch_norm}``,
``decode_head.classifier``, ``auxiliary_head.{convs.0, classifier}``.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List

import torch

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.vocabulary import children, prefix

RECIPES = "seg_engine://UPerNet/"


def conv_batch_norm(theirs: str, ours: str) -> List[Rule]:
    """transformers' UperNetConvModule (``conv``, ``batch_norm``) -> our ConvNormAct (children 0 and 1)."""
    return children(theirs, ours, {"conv": "0", "batch_norm": "1"})


HEAD = (conv_batch_norm(r"decode_head\.psp_modules\.(\d+)\.1", r"decode_head.ppm.branches.\1.1")
        + conv_batch_norm(r"decode_head\.(bottleneck|fpn_bottleneck)", r"decode_head.\1")
        + conv_batch_norm(r"decode_head\.(lateral_convs|fpn_convs)\.(\d+)", r"decode_head.\1.\2")
        + prefix(r"decode_head\.classifier", "decode_head.classifier")
        + conv_batch_norm(r"auxiliary_head\.convs\.(\d+)", r"aux_head.convs.\1")
        + prefix(r"auxiliary_head\.classifier", "aux_head.classifier"))
OUTPUT_NORMS = [(r"backbone\.hidden_states_norms\.stage(\d)\.", r"backbone.norm<\1>.")]

# transformers' Swin in UperNet, in the layout of version 5 (``swin.`` prefix, q/k/v/o_proj, mlp.fc1/fc2) and of the
# files on the hub written by version 4 (attention.self.query, intermediate.dense, output.dense; transformers' own
# conversion_mapping.py maps the one to the other).
_BLOCK = r"backbone\.(?:swin\.)?encoder\.layers\.(\d+)\.blocks\.(\d+)\."
_OUR_BLOCK = r"backbone.layers.\1.blocks.\2."
_QKV = re.compile(r"(backbone\.(?:swin\.)?encoder\.layers\.\d+\.blocks\.\d+\.attention\.)"
                  r"(?:([qkv])_proj|self\.(query|key|value))\.(weight|bias)$")
SWIN_RULES = [
    (r"backbone\.(?:swin\.)?embeddings\.patch_embeddings\.projection\.", "backbone.patch_embed.proj."),
    (r"backbone\.(?:swin\.)?embeddings\.norm\.", "backbone.patch_embed.norm."),
    (_BLOCK + r"layernorm_before\.", _OUR_BLOCK + "norm1."),
    (_BLOCK + r"layernorm_after\.", _OUR_BLOCK + "norm2."),
    (_BLOCK + r"attention\.(?:relative_position_bias|self)\.relative_position_bias_table",
     _OUR_BLOCK + "attn.relative_position_bias_table"),
    (_BLOCK + r"attention\.qkv\.", _OUR_BLOCK + "attn.qkv."),
    (_BLOCK + r"attention\.(?:o_proj|output\.dense)\.", _OUR_BLOCK + "attn.proj."),
    (_BLOCK + r"(?:mlp\.fc1|intermediate\.dense)\.", _OUR_BLOCK + "mlp.fc1."),
    (_BLOCK + r"(?:mlp\.fc2|output\.dense)\.", _OUR_BLOCK + "mlp.fc2."),
    (r"backbone\.(?:swin\.)?encoder\.layers\.(\d+)\.downsample\.", r"backbone.layers.\1.downsample."),
] + OUTPUT_NORMS + HEAD


def stack_query_key_value(state: Dict[str, Any]) -> Dict[str, Any]:
    """transformers' separate query, key and value projections of each block as one ``attention.qkv`` tensor (q, k, v
    concatenated along the outputs), the layout of the authors' (and our) attention."""
    out: Dict[str, Any] = {}
    parts: Dict[tuple, Dict[str, Any]] = {}
    for key, value in state.items():
        m = _QKV.match(key)
        if m is None:
            out[key] = value
        else:
            parts.setdefault((m.group(1), m.group(4)), {})[(m.group(2) or m.group(3))[0]] = value
    for (attention, param), qkv in parts.items():
        if set(qkv) != {"q", "k", "v"}:
            raise KeyError(f"{attention}: the query, key and value {param} tensors come together, got only {sorted(qkv)}")
        out[f"{attention}qkv.{param}"] = torch.cat([qkv["q"], qkv["k"], qkv["v"]])
    return out


register_layout(WeightLayout(
    name="hf_upernet_swin",
    source="transformers' UperNetForSemanticSegmentation with SwinBackbone (openmmlab/upernet-swin-*; transformers 4 "
           "or 5 names): q, k and v stacked into qkv, the classifier's unused final layernorm dropped",
    rules=SWIN_RULES,
    drop=[r"backbone\.(?:swin\.)?layernorm\.", r"backbone\..*relative_position_index$"],
    prepare=stack_query_key_value,
    recipe=RECIPES + "Base-UPerNet-Swin-hf.yaml",  # its key table is checked in tests/test_converters.py (q, k, v stacked)
))
register_layout(WeightLayout(
    name="hf_upernet_convnext",
    source="transformers' UperNetForSemanticSegmentation with ConvNextBackbone (openmmlab/upernet-convnext-*)",
    rules=[(r"backbone\.embeddings\.patch_embeddings\.", "backbone.downsample_layers.0.0."),
           (r"backbone\.embeddings\.layernorm\.", "backbone.downsample_layers.0.1."),
           (r"backbone\.encoder\.stages\.(\d+)\.downsampling_layer\.", r"backbone.downsample_layers.\1."),
           (r"backbone\.encoder\.stages\.(\d+)\.layers\.(\d+)\.layernorm\.", r"backbone.stages.\1.\2.norm."),
           (r"backbone\.encoder\.stages\.(\d+)\.layers\.(\d+)\.layer_scale_parameter", r"backbone.stages.\1.\2.gamma"),
           (r"backbone\.encoder\.stages\.(\d+)\.layers\.(\d+)\.", r"backbone.stages.\1.\2.")] + OUTPUT_NORMS + HEAD,
    recipe=RECIPES + "Base-UPerNet-ConvNeXt-hf.yaml",
    key_table="projects/UPerNet/tests/data/hf_upernet_convnext-t_150_keys.txt",
    examples={"backbone.stages.1.2.gamma": "backbone.encoder.stages.1.layers.2.layer_scale_parameter",
              "backbone.downsample_layers.2.1.weight": "backbone.encoder.stages.2.downsampling_layer.1.weight",
              "backbone.norm3.bias": "backbone.hidden_states_norms.stage4.bias",
              "decode_head.ppm.branches.0.1.1.running_mean": "decode_head.psp_modules.0.1.batch_norm.running_mean",
              "aux_head.classifier.weight": "auxiliary_head.classifier.weight"},
))
