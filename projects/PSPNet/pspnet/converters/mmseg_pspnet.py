"""mmsegmentation's trained PSPNet R50/R101-D8 checkpoints to the PSPNet model with ResNetV1c.

Their keys: ``backbone.stem.*``/``backbone.layerN.*``, ``decode_head.psp_modules.i.1.{conv,bn}``,
``decode_head.bottleneck.{conv,bn}``, ``decode_head.conv_seg``, ``auxiliary_head.convs.0.{conv,bn}``
and ``auxiliary_head.conv_seg``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys
from seg_engine.checkpoint.imagenet_backbones import mmseg_resnet_v1c

HEAD_RULES = [
    (r"decode_head\.psp_modules\.(\d+)\.1\.conv\.", r"decode_head.ppm.branches.\1.1.0."),
    (r"decode_head\.psp_modules\.(\d+)\.1\.bn\.", r"decode_head.ppm.branches.\1.1.1."),
    (r"decode_head\.bottleneck\.conv\.", "decode_head.bottleneck.0."),
    (r"decode_head\.bottleneck\.bn\.", "decode_head.bottleneck.1."),
    (r"decode_head\.conv_seg\.", "decode_head.classifier."),
    (r"auxiliary_head\.convs\.0\.conv\.", "aux_head.convs.0.0."),
    (r"auxiliary_head\.convs\.0\.bn\.", "aux_head.convs.0.1."),
    (r"auxiliary_head\.conv_seg\.", "aux_head.classifier."),
]


@WEIGHT_CONVERTERS.register()
def mmseg_pspnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For MODEL.RESNETS.STEM_WIDTH 32, FIRST_BLOCK_DILATION half, ALIGN_CORNERS False: the backbone as
    mmsegmentation's ImageNet ResNetV1c, the heads by HEAD_RULES."""
    backbone = {k: v for k, v in state_dict.items() if k.startswith("backbone.")}
    heads = {k: v for k, v in state_dict.items() if not k.startswith("backbone.")}
    return {**mmseg_resnet_v1c(backbone), **rename_keys(heads, HEAD_RULES)}
