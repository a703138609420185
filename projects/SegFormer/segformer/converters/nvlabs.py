"""The authors' (NVlabs/SegFormer) checkpoints: trained SegFormers and the ImageNet ``mit_b0..b5.pth``.

Their MiT: ``patch_embed<n>.{proj,norm}``, ``block<n>.<j>.{norm1,attn.{q,kv,proj,sr,norm},norm2,
mlp.{fc1,dwconv.dwconv,fc2}}`` and ``norm<n>`` for stages n = 1..4; the trained models put it under
``backbone.`` and add ``decode_head.linear_c<n>.proj``, ``linear_fuse.{conv,bn}`` and ``linear_pred``.
Their q / kv layers are ours, so every tensor loads as it is.
"""
from __future__ import annotations

from typing import Any, Dict, List

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys
from seg_engine.checkpoint.converters import Rule


def mit_rules(prefix: str) -> List[Rule]:
    """The authors' MiT keys after ``prefix`` (``backbone.``, ``encoder.`` for smp, or none) to ours."""
    p = prefix.replace(".", r"\.")
    return [
        (rf"{p}patch_embed(\d)\.", r"backbone.stages.<\1>.patch_embed."),
        (rf"{p}block(\d)\.(\d+)\.mlp\.dwconv\.dwconv\.", r"backbone.stages.<\1>.blocks.\2.ffn.dwconv."),
        (rf"{p}block(\d)\.(\d+)\.mlp\.", r"backbone.stages.<\1>.blocks.\2.ffn."),
        (rf"{p}block(\d)\.(\d+)\.", r"backbone.stages.<\1>.blocks.\2."),
        (rf"{p}norm(\d)\.", r"backbone.stages.<\1>.norm."),
    ]


HEAD_RULES = [
    (r"decode_head\.linear_c(\d)\.proj\.", r"decode_head.embeds.<\1>."),
    (r"decode_head\.linear_fuse\.conv\.", "decode_head.fuse.0."),
    (r"decode_head\.linear_fuse\.bn\.", "decode_head.fuse.1."),
    (r"decode_head\.linear_pred\.", "decode_head.classifier."),
]
RULES = mit_rules("backbone.") + HEAD_RULES
# mmseg 0.13's BaseDecodeHead always builds ``conv_seg``; the authors' head never calls it (its classifier
# is ``linear_pred``), so the files carry an untrained 1x1 conv of MODEL.HEAD.CHANNELS (128) inputs.
UNUSED = [r"decode_head\.conv_seg\."]


@WEIGHT_CONVERTERS.register()
def nvlabs_segformer(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """The authors' trained SegFormers (``segformer.b0.512x512.ade.160k.pth`` ...) for the ``_nvlabs``
    recipes (MODEL.SEGFORMER.HEAD_FORM "nvlabs"); ``decode_head.conv_seg`` is unused and dropped."""
    return rename_keys(state_dict, RULES, UNUSED)


@WEIGHT_CONVERTERS.register()
def nvlabs_mit(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """The authors' ImageNet encoders ``mit_b0.pth`` .. ``mit_b5.pth``, without the classifier ``head``."""
    return rename_keys(state_dict, mit_rules(""), [r"head\."])
