"""torchvision's ``deeplabv3_resnet50`` / ``deeplabv3_resnet101`` checkpoints to the DeepLabV3 model here.

Their keys: ``backbone.{conv1,bn1,layer1..4}`` (a torchvision ResNet, as this one with STEM basic),
``classifier.0`` the ASPP (``convs.0`` the 1x1 branch, ``convs.1..3`` the atrous ones, ``convs.4.{1,2}``
the pooling branch's conv and BN, ``project.{0,1}``), ``classifier.{1,2}`` the 3x3 conv and BN after
it, ``classifier.4`` the classifier, ``aux_classifier.{0,1,4}`` the FCN aux head.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

RULES = [
    (r"backbone\.", "backbone."),
    (r"classifier\.0\.convs\.4\.([12])\.", r"decode_head.aspp.pool.1.<\1>."),
    (r"classifier\.0\.convs\.(\d)\.", r"decode_head.aspp.convs.\1."),
    (r"classifier\.0\.project\.", "decode_head.aspp.project."),
    (r"classifier\.1\.", "decode_head.post_conv.0."),
    (r"classifier\.2\.", "decode_head.post_conv.1."),
    (r"classifier\.4\.", "decode_head.classifier."),
    (r"aux_classifier\.0\.", "aux_head.convs.0.0."),
    (r"aux_classifier\.1\.", "aux_head.convs.0.1."),
    (r"aux_classifier\.4\.", "aux_head.classifier."),
]


@WEIGHT_CONVERTERS.register()
def torchvision_deeplabv3(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For ``voc2012/deeplabv3_R50_torchvision.yaml``: MODEL.RESNETS.STEM basic, FIRST_BLOCK_DILATION half,
    MODEL.ASPP.POOL_POSITION last, MODEL.DEEPLAB.POST_ASPP_CONV True (RESNETS.DEPTH 101 for _resnet101)."""
    return rename_keys(state_dict, RULES)
