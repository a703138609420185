"""mmsegmentation's trained FCN R50/R101-D8 checkpoints (``fcn_r50-d8_*``) to the built-in EncoderDecoder.

Their keys: ``backbone.stem.*``/``backbone.layerN.*`` (ResNetV1c), ``decode_head.convs.{0,1}.{conv,bn}``,
``decode_head.conv_cat.{conv,bn}`` (the ``concat_input`` conv), ``decode_head.conv_seg``,
``auxiliary_head.convs.0.{conv,bn}`` and ``auxiliary_head.conv_seg``. The model here:
MODEL.RESNETS.STEM_WIDTH 32, FIRST_BLOCK_DILATION "half", MODEL.HEAD.NUM_CONVS 2 with CONCAT_INPUT True.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys
from seg_engine.checkpoint.imagenet_backbones import mmseg_resnet_v1c

HEAD_RULES = [
    (r"decode_head\.convs\.(\d+)\.conv\.", r"decode_head.convs.\1.0."),
    (r"decode_head\.convs\.(\d+)\.bn\.", r"decode_head.convs.\1.1."),
    (r"decode_head\.conv_cat\.conv\.", "decode_head.conv_cat.0."),
    (r"decode_head\.conv_cat\.bn\.", "decode_head.conv_cat.1."),
    (r"decode_head\.conv_seg\.", "decode_head.classifier."),
    (r"auxiliary_head\.convs\.(\d+)\.conv\.", r"aux_head.convs.\1.0."),
    (r"auxiliary_head\.convs\.(\d+)\.bn\.", r"aux_head.convs.\1.1."),
    (r"auxiliary_head\.conv_seg\.", "aux_head.classifier."),
]


@WEIGHT_CONVERTERS.register()
def mmseg_fcn(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """The backbone as mmsegmentation's ImageNet ResNetV1c, the heads by HEAD_RULES."""
    backbone = {k: v for k, v in state_dict.items() if k.startswith("backbone.")}
    heads = {k: v for k, v in state_dict.items() if not k.startswith("backbone.")}
    return {**mmseg_resnet_v1c(backbone), **rename_keys(heads, HEAD_RULES)}
