"""transformers' ``UperNetForSemanticSegmentation`` with a Swin or ConvNeXt backbone (e.g. the hub's
openmmlab/upernet-swin-tiny and openmmlab/upernet-convnext-tiny, written by transformers 4, or a
``state_dict()`` of transformers 5), to this toolbox's EncoderDecoder + UPerHead + FCNHead.

Their keys: ``backbone.(swin.)embeddings``, ``backbone.(swin.)encoder.layers.i.blocks.j`` (Swin) or
``backbone.embeddings``/``backbone.encoder.stages.i`` (ConvNeXt), ``backbone.hidden_states_norms.stageK``,
``decode_head.{psp_modules, bottleneck, lateral_convs, fpn_convs, fpn_bottleneck}.*.{conv,batch_norm}``,
``decode_head.classifier``, ``auxiliary_head.{convs.0, classifier}``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .layouts import CONVNEXT_HF, HEAD_MMSEG, split_by_prefix, swin_hf


@WEIGHT_CONVERTERS.register()
def hf_upernet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For the ``Base-UPerNet-{Swin,ConvNeXt}-hf.yaml`` designs (+ MODEL.NUM_CLASSES); the Swin classifier's
    unused final ``layernorm`` is dropped."""
    backbone, heads = split_by_prefix(state_dict)
    if any(".patch_embeddings.projection." in k for k in backbone):
        converted = swin_hf(backbone)
    else:
        converted = rename_keys(backbone, CONVNEXT_HF)
    return {**converted, **rename_keys(heads, HEAD_MMSEG)}
