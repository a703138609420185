"""segmentation_models_pytorch's ``Linknet`` with a ResNet encoder to LinkNet (configs/Base-LinkNet-smp.yaml).

Their keys: ``encoder.*`` (torchvision ResNet), ``decoder.blocks.{i}.block.{0,1,2}.{0,1}`` (1x1
Conv2dReLU, TransposeX2, 1x1 Conv2dReLU; deepest block first as here) and ``segmentation_head.0``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .smp_encoders import SMP_RESNET_ENCODER

RULES = SMP_RESNET_ENCODER + [
    (r"decoder\.blocks\.(\d+)\.block\.", r"decoder.blocks.\1.convs."),
    (r"segmentation_head\.0\.", "decode_head.classifier."),
]


@WEIGHT_CONVERTERS.register()
def smp_linknet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """Every key renamed; a key of another layout is an error."""
    return rename_keys(state_dict, RULES)
