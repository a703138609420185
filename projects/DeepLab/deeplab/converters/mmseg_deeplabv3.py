"""mmsegmentation's trained DeepLabv3 R50/R101-D8 checkpoints (``ASPPHead``) to the DeepLabV3 model with ResNetV1c.

Their head keys: ``decode_head.image_pool.1.{conv,bn}``, ``decode_head.aspp_modules.i.{conv,bn}`` (i = 0
the 1x1 branch, 1..3 the atrous ones), ``decode_head.bottleneck.{conv,bn}`` (the 3x3 projection),
``decode_head.conv_seg``, and the aux head ``auxiliary_head.convs.0.{conv,bn}``, ``auxiliary_head.conv_seg``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys
from seg_engine.checkpoint.imagenet_backbones import mmseg_resnet_v1c

CONV_MODULE = {"conv": "0", "bn": "1"}  # mmcv ConvModule -> ConvNormAct children

ASPP_RULES = [
    (r"decode_head\.image_pool\.1\.conv\.", "decode_head.aspp.pool.1.0."),
    (r"decode_head\.image_pool\.1\.bn\.", "decode_head.aspp.pool.1.1."),
    (r"decode_head\.bottleneck\.conv\.", "decode_head.aspp.project.0."),
    (r"decode_head\.bottleneck\.bn\.", "decode_head.aspp.project.1."),
]
COMMON_RULES = [
    (r"decode_head\.conv_seg\.", "decode_head.classifier."),
    (r"auxiliary_head\.convs\.0\.conv\.", "aux_head.convs.0.0."),
    (r"auxiliary_head\.convs\.0\.bn\.", "aux_head.convs.0.1."),
    (r"auxiliary_head\.conv_seg\.", "aux_head.classifier."),
]
RULES = ASPP_RULES + [
    (r"decode_head\.aspp_modules\.(\d)\.conv\.", r"decode_head.aspp.convs.\1.0."),
    (r"decode_head\.aspp_modules\.(\d)\.bn\.", r"decode_head.aspp.convs.\1.1."),
] + COMMON_RULES


def convert_mmseg(state_dict: Dict[str, Any], head_rules) -> Dict[str, Any]:
    """The backbone as mmsegmentation's ImageNet ResNetV1c, the rest by ``head_rules``."""
    backbone = {k: v for k, v in state_dict.items() if k.startswith("backbone.")}
    heads = {k: v for k, v in state_dict.items() if not k.startswith("backbone.")}
    return {**mmseg_resnet_v1c(backbone), **rename_keys(heads, head_rules)}


@WEIGHT_CONVERTERS.register()
def mmseg_deeplabv3(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For ``ade20k/deeplabv3_R50-D8_512x512_*_ade20k_mmseg.yaml``: RESNETS.STEM_WIDTH 32, FIRST_BLOCK_DILATION
    half, HEAD.CHANNELS 512, ASPP.POOL_POSITION first, ASPP.PROJECT_KERNEL 3, ALIGN_CORNERS False."""
    return convert_mmseg(state_dict, RULES)
