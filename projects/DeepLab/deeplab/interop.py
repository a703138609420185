"""DeepLab in the core's registries of other toolboxes: mmsegmentation's ASPPHead and DepthwiseSeparableASPPHead
and the models --compare-mmseg pairs."""
from typing import Any, Dict, Set

from seg_engine.interop import MMSEG_HEADS, register_mmseg_model


def _aspp_head(translator, head: Dict[str, Any], separable: bool) -> Set[int]:
    """mmseg's DeepLabv3 head: a 1x1 branch (dilation 1) and 3x3 atrous branches, the pooled branch first, a 3x3
    projection ("bottleneck") without dropout. ``separable``: DeepLabv3+'s (depthwise-separable atrous branches,
    the decoder on the first backbone output)."""
    translator.check_unknown("model.decode_head", head, translator.HEAD_COMMON + ("dilations",)
                             + (("c1_in_channels", "c1_channels") if separable else ()))
    dilations = tuple(head.get("dilations", (1, 6, 12, 18)))
    if len(dilations) < 2 or dilations[0] != 1 or 1 in dilations[1:]:  # the 1x1 branch first, atrous after
        translator.bad("model.decode_head.dilations", dilations)
    translator.set("MODEL.META_ARCHITECTURE", "DeepLabV3")
    translator.set("MODEL.HEAD.NAME", "DeepLabV3PlusHead" if separable else "ASPPHead")
    translator.set("MODEL.ASPP.RATES", tuple(dilations[1:]))
    translator.set("MODEL.ASPP.POOL_POSITION", "first")
    translator.set("MODEL.ASPP.POOL_NORM", True)
    translator.set("MODEL.ASPP.PROJECT_KERNEL", 3)
    translator.set("MODEL.ASPP.DROPOUT", 0.0)
    translator.set("MODEL.ASPP.SEPARABLE", separable)
    used: Set[int] = set()
    if separable:
        if not head.get("c1_in_channels"):  # 0: mmseg's decoder without the low-level branch
            translator.bad("model.decode_head.c1_in_channels", head.get("c1_in_channels"))
        stage = translator.stage("model.decode_head", 0)  # its low-level feature is the first backbone output
        translator.set("MODEL.DEEPLAB.LOW_LEVEL_FEATURE", f"res{stage + 2}")
        translator.set("MODEL.DEEPLAB.LOW_LEVEL_CHANNELS", int(head.get("c1_channels", 48)))
        translator.set("MODEL.DEEPLAB.DECODER_SEPARABLE", True)
        used.add(stage)
    translator.set("MODEL.DEEPLAB.POST_ASPP_CONV", False)
    translator.set("MODEL.DEEPLAB.TEST_OUTPUT_STRIDE", 0)
    return used


@MMSEG_HEADS.register("ASPPHead")
def aspp_head(translator, head: Dict[str, Any]) -> Set[int]:
    return _aspp_head(translator, head, separable=False)


@MMSEG_HEADS.register("DepthwiseSeparableASPPHead")
def depthwise_separable_aspp_head(translator, head: Dict[str, Any]) -> Set[int]:
    return _aspp_head(translator, head, separable=True)


register_mmseg_model("mmseg_deeplabv3", "ASPPHead", "", "_base_/models/deeplabv3_r50-d8.py")
register_mmseg_model("mmseg_fastfcn_aspp", "ASPPHead", "JPU",
                     "fastfcn/fastfcn_r50-d32_jpu_aspp_4xb2-80k_cityscapes-512x1024.py")
register_mmseg_model("mmseg_deeplabv3plus", "DeepLabV3PlusHead", "", "_base_/models/deeplabv3plus_r50-d8.py")
