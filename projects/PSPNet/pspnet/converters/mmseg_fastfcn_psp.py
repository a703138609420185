"""mmsegmentation's FastFCN PSPNet (``fastfcn_r50-d32_jpu_psp``) to PSPNet with MODEL.PSP.USE_JPU.

Keys as ``mmseg_pspnet`` plus the JPU neck (``neck.conv_layers.*``, ``neck.dilation_layers.*``),
whose branch weights are reordered to this JPU's concat order (seg_engine.checkpoint.mmseg_jpu).
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS
from seg_engine.checkpoint.mmseg_jpu import convert_mmseg_jpu

from .mmseg_pspnet import mmseg_pspnet


@WEIGHT_CONVERTERS.register()
def mmseg_fastfcn_psp(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For the recipe pspnet_jpu_R50-d32_512x512_80k_ade20k_mmseg.yaml (ResNetV1c strided to 32 and
    dilated 1, 1, 2, 4; JPU; ALIGN_CORNERS False)."""
    neck = {k: v for k, v in state_dict.items() if k.startswith("neck.")}
    if not neck:
        raise KeyError("MODEL.WEIGHTS_FORMAT mmseg_fastfcn_psp: this checkpoint has no JPU neck; use mmseg_pspnet")
    rest = {k: v for k, v in state_dict.items() if not k.startswith("neck.")}
    return {**mmseg_pspnet(rest), **convert_mmseg_jpu(neck)}
