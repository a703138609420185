"""mmsegmentation's FastFCN DeepLabv3 (``fastfcn_r50-d32_jpu_aspp``) to DeepLabV3 with MODEL.DEEPLAB.USE_JPU.

Keys as ``mmseg_deeplabv3`` (ResNetV1c, ``ASPPHead``, FCN auxiliary head) plus the JPU neck
(``neck.conv_layers.*``, ``neck.dilation_layers.*``), whose branch weights are reordered to this JPU's
concat order (seg_engine.checkpoint.mmseg_jpu).
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS
from seg_engine.checkpoint.mmseg_jpu import convert_mmseg_jpu

from .mmseg_deeplabv3 import mmseg_deeplabv3


@WEIGHT_CONVERTERS.register()
def mmseg_fastfcn_aspp(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For ``cityscapes/deeplabv3_jpu_R50-d32_512x1024_80k_cityscapes_mmseg.yaml`` (ResNetV1c strided to 32 and
    dilated 1, 1, 2, 4; DEEPLAB.USE_JPU; ASPP as mmseg_deeplabv3's; ALIGN_CORNERS False)."""
    neck = {k: v for k, v in state_dict.items() if k.startswith("neck.")}
    if not neck:
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_fastfcn_aspp: this checkpoint has no JPU neck; use mmseg_deeplabv3")
    rest = {k: v for k, v in state_dict.items() if not k.startswith("neck.")}
    return {**mmseg_deeplabv3(rest), **convert_mmseg_jpu(neck)}
