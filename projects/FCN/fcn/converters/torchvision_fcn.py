"""torchvision's ``fcn_resnet50`` / ``fcn_resnet101`` (COCO-VOC weights) to the built-in EncoderDecoder.

Their model: ``backbone`` (torchvision ResNet names, layer3/layer4 dilated with the first block at the
previous dilation), ``classifier`` = FCNHead(2048 -> 512: conv, BN, ReLU, Dropout 0.1, 1x1) and
``aux_classifier`` = FCNHead(1024 -> 256). The model here: MODEL.RESNETS.STEM "basic",
OUTPUT_STRIDE 8, FIRST_BLOCK_DILATION "half", FCNHead/aux FCNHead of 512/256 channels, ALIGN_CORNERS False.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

RULES = [
    (r"backbone\.", "backbone."),
    (r"classifier\.0\.", "decode_head.convs.0.0."),
    (r"classifier\.1\.", "decode_head.convs.0.1."),
    (r"classifier\.4\.", "decode_head.classifier."),
    (r"aux_classifier\.0\.", "aux_head.convs.0.0."),
    (r"aux_classifier\.1\.", "aux_head.convs.0.1."),
    (r"aux_classifier\.4\.", "aux_head.classifier."),
]


@WEIGHT_CONVERTERS.register()
def torchvision_fcn(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """Every key renamed; a key of another layout is an error (see :func:`rename_keys`)."""
    return rename_keys(state_dict, RULES)
