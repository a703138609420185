"""mmsegmentation's trained DeepLabv3+ R50/R101-D8 checkpoints (``DepthwiseSeparableASPPHead``) to DeepLabV3Plus.

Beyond DeepLabv3's keys: the atrous branches are ``aspp_modules.i.{depthwise_conv,pointwise_conv}.{conv,bn}``
(DepthwiseSeparableConvModule), the low-level projection ``c1_bottleneck.{conv,bn}`` and the decoder
convs ``sep_bottleneck.{0,1}.{depthwise_conv,pointwise_conv}.{conv,bn}``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS

from .mmseg_deeplabv3 import ASPP_RULES, COMMON_RULES, convert_mmseg

SEPARABLE = [("depthwise_conv", "conv", "conv_dw"), ("depthwise_conv", "bn", "bn_dw"),
             ("pointwise_conv", "conv", "conv_pw"), ("pointwise_conv", "bn", "bn_pw")]

RULES = ASPP_RULES + [
    (r"decode_head\.aspp_modules\.0\.conv\.", "decode_head.aspp.convs.0.0."),
    (r"decode_head\.aspp_modules\.0\.bn\.", "decode_head.aspp.convs.0.1."),
] + [
    (rf"decode_head\.aspp_modules\.(\d)\.{half}\.{layer}\.", rf"decode_head.aspp.convs.\1.{ours}.")
    for half, layer, ours in SEPARABLE
] + [
    (r"decode_head\.c1_bottleneck\.conv\.", "decode_head.low_level.0."),
    (r"decode_head\.c1_bottleneck\.bn\.", "decode_head.low_level.1."),
] + [
    (rf"decode_head\.sep_bottleneck\.(\d)\.{half}\.{layer}\.", rf"decode_head.fuse.\1.{ours}.")
    for half, layer, ours in SEPARABLE
] + COMMON_RULES


@WEIGHT_CONVERTERS.register()
def mmseg_deeplabv3plus(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For ``*/deeplabv3plus_R50-D8_*_mmseg.yaml``: as mmseg_deeplabv3 plus ASPP.SEPARABLE True and
    DEEPLAB.DECODER_SEPARABLE True."""
    return convert_mmseg(state_dict, RULES)
