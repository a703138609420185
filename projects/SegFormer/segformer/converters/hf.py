"""transformers' ``SegformerForSemanticSegmentation`` (``nvidia/segformer-b*-finetuned-*``) and
``SegformerForImageClassification`` (the ImageNet encoders ``nvidia/mit-b*``).

Two layouts load. The files on the hub, and what ``save_pretrained`` writes (transformers 4 and 5):
``segformer.encoder.patch_embeddings.<i>.{proj,layer_norm}``, ``segformer.encoder.block.<i>.<j>.{layer_norm_1,
attention.self.{query,key,value,sr,layer_norm},attention.output.dense,layer_norm_2,mlp.{dense1,dwconv.dwconv,
dense2}}``, ``segformer.encoder.layer_norm.<i>``, ``decode_head.{linear_c.<i>.proj,linear_fuse,batch_norm,
classifier}``. And transformers 5's modules (``model.state_dict()``): ``segformer.stages.<i>.{patch_embeddings,
blocks.<j>.{layernorm_before,attention.{q,k,v,o}_proj,attention.sequence_reduction.{sequence_reduction,
layer_norm},layernorm_after,mlp.{fc1,dwconv.dwconv,fc2}},layer_norm}``, ``decode_head.linear_projections``.
Their separate key and value layers are stacked into our ``kv`` (keys first).
"""
from __future__ import annotations

from typing import Any, Dict

import torch

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.vocabulary import children, prefix

_OURS = r"backbone.stages.\1.blocks.\2."
_HUB = r"segformer\.encoder\.block\.(\d+)\.(\d+)\."
_V5 = r"segformer\.stages\.(\d+)\.blocks\.(\d+)\."
HUB_ENCODER_RULES = [
    (r"segformer\.encoder\.patch_embeddings\.(\d+)\.proj\.", r"backbone.stages.\1.patch_embed.proj."),
    (r"segformer\.encoder\.patch_embeddings\.(\d+)\.layer_norm\.", r"backbone.stages.\1.patch_embed.norm."),
    (_HUB + r"layer_norm_1\.", _OURS + "norm1."),
    (_HUB + r"attention\.self\.query\.", _OURS + "attn.q."),
    (_HUB + r"attention\.self\.kv\.", _OURS + "attn.kv."),
    (_HUB + r"attention\.self\.sr\.", _OURS + "attn.sr."),
    (_HUB + r"attention\.self\.layer_norm\.", _OURS + "attn.norm."),
    (_HUB + r"attention\.output\.dense\.", _OURS + "attn.proj."),
    (_HUB + r"layer_norm_2\.", _OURS + "norm2."),
    (_HUB + r"mlp\.dense1\.", _OURS + "ffn.fc1."),
    (_HUB + r"mlp\.dwconv\.dwconv\.", _OURS + "ffn.dwconv."),
    (_HUB + r"mlp\.dense2\.", _OURS + "ffn.fc2."),
    (r"segformer\.encoder\.layer_norm\.(\d+)\.", r"backbone.stages.\1.norm."),
]
V5_ENCODER_RULES = [
    (r"segformer\.stages\.(\d+)\.patch_embeddings\.proj\.", r"backbone.stages.\1.patch_embed.proj."),
    (r"segformer\.stages\.(\d+)\.patch_embeddings\.layer_norm\.", r"backbone.stages.\1.patch_embed.norm."),
    (_V5 + r"layernorm_before\.", _OURS + "norm1."),
    (_V5 + r"attention\.q_proj\.", _OURS + "attn.q."),
    (_V5 + r"attention\.kv_proj\.", _OURS + "attn.kv."),
    (_V5 + r"attention\.sequence_reduction\.sequence_reduction\.", _OURS + "attn.sr."),
    (_V5 + r"attention\.sequence_reduction\.layer_norm\.", _OURS + "attn.norm."),
    (_V5 + r"attention\.o_proj\.", _OURS + "attn.proj."),
    (_V5 + r"layernorm_after\.", _OURS + "norm2."),
    (_V5 + r"mlp\.fc1\.", _OURS + "ffn.fc1."),
    (_V5 + r"mlp\.dwconv\.dwconv\.", _OURS + "ffn.dwconv."),
    (_V5 + r"mlp\.fc2\.", _OURS + "ffn.fc2."),
    (r"segformer\.stages\.(\d+)\.layer_norm\.", r"backbone.stages.\1.norm."),
]
ENCODER_RULES = HUB_ENCODER_RULES + V5_ENCODER_RULES
HEAD_RULES = (prefix(r"decode_head\.(?:linear_c|linear_projections)\.(\d+)\.proj", r"decode_head.embeds.\1")
              + children(r"decode_head", "decode_head.fuse", {"linear_fuse": "0", "batch_norm": "1"})
              + prefix(r"decode_head\.classifier", "decode_head.classifier"))
# (key layer, value layer, stacked name) in each layout
_PAIRS = [(".attention.self.key.", ".attention.self.value.", ".attention.self.kv."),
          (".attention.k_proj.", ".attention.v_proj.", ".attention.kv_proj.")]


def stack_key_value(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """Each block's key and value layers (weight and bias) as one layer, keys first."""
    out = {}
    for name, tensor in state_dict.items():
        for key, value, stacked in _PAIRS:
            if value in name:
                break
            if key in name:
                out[name.replace(key, stacked)] = torch.cat([tensor, state_dict[name.replace(key, value)]])
                break
        else:
            out[name] = tensor
    return out


register_layout(WeightLayout(
    name="hf_mit",
    source="transformers' ImageNet MiTs (nvidia/mit-b0 .. b5, SegformerForImageClassification), the hub's files and "
           "transformers 5's module keys; key and value stacked into kv, the classifier dropped",
    rules=ENCODER_RULES,
    drop=[r"classifier\."],
    prepare=stack_key_value,
    recipe="seg_engine://SegFormer/Base-SegFormer-hf.yaml",
))
register_layout(WeightLayout(
    name="hf_segformer",
    source="transformers' SegformerForSemanticSegmentation (nvidia/segformer-b*-finetuned-*, pytorch_model.bin; also "
           "transformers 5's module keys) for the _nvlabs recipes as trained, or Base-SegFormer-hf.yaml for "
           "transformers' own logits (LayerNorm eps 1e-5 everywhere, nn.Dropout)",
    rules=HEAD_RULES,
    reuses=[("segformer.", "hf_mit")],
    recipe="seg_engine://SegFormer/Base-SegFormer-hf.yaml",
))
