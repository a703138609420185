"""mmsegmentation's trained Semantic FPN (``fpn_r50``/``fpn_r101`` configs) to the SemanticFPN model.

Their keys: ``backbone.stem.*``/``backbone.layerN.*`` (ResNetV1c), ``neck.lateral_convs.i.conv``,
``neck.fpn_convs.i.conv`` (convs with bias, no norm), ``decode_head.scale_heads.i.j.{conv,bn}``
(the up-samplings at odd j hold no keys) and ``decode_head.conv_seg``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys
from seg_engine.checkpoint.imagenet_backbones import mmseg_resnet_v1c

HEAD_RULES = [
    (r"neck\.lateral_convs\.(\d+)\.conv\.", r"neck.lateral_convs.\1.0."),
    (r"neck\.fpn_convs\.(\d+)\.conv\.", r"neck.output_convs.\1.0."),
    (r"decode_head\.scale_heads\.(\d+)\.(\d+)\.conv\.", r"decode_head.scale_heads.\1.\2.0."),
    (r"decode_head\.scale_heads\.(\d+)\.(\d+)\.bn\.", r"decode_head.scale_heads.\1.\2.1."),
    (r"decode_head\.scale_heads\.(\d+)\.(\d+)\.gn\.", r"decode_head.scale_heads.\1.\2.1."),
    (r"decode_head\.conv_seg\.", "decode_head.classifier."),
]


@WEIGHT_CONVERTERS.register()
def mmseg_fpn(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For ``Base-SemanticFPN-mmseg.yaml`` models (MODEL.RESNETS.STEM_WIDTH 32, HEAD.NORM BN): the
    backbone as mmsegmentation's ImageNet ResNetV1c, neck and head by HEAD_RULES."""
    backbone = {k: v for k, v in state_dict.items() if k.startswith("backbone.")}
    rest = {k: v for k, v in state_dict.items() if not k.startswith("backbone.")}
    return {**mmseg_resnet_v1c(backbone), **rename_keys(rest, HEAD_RULES)}
