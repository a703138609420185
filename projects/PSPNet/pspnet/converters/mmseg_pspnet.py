"""mmsegmentation's trained PSPNet R50/R101-D8 checkpoints to the PSPNet model with ResNetV1c.

Their keys: ``backbone.stem.*``/``backbone.layerN.*``, ``decode_head.psp_modules.i.1.{conv,bn}``,
``decode_head.bottleneck.{conv,bn}``, ``decode_head.conv_seg``, ``auxiliary_head.convs.0.{conv,bn}``
and ``auxiliary_head.conv_seg``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS

from seg_engine.checkpoint import rename_keys
from .mmseg_resnet_v1c import STEM_RULES

# The ImageNet stem rules with the model's "backbone." in front (pattern[1:] drops their "^").
RULES = [(r"^backbone\." + pattern[1:], replacement) for pattern, replacement in STEM_RULES] + [
    (r"^backbone\.(layer[1-4])\.", r"backbone.\1."),
    (r"^decode_head\.psp_modules\.(\d+)\.1\.conv\.", r"decode_head.ppm.branches.\1.1.0."),
    (r"^decode_head\.psp_modules\.(\d+)\.1\.bn\.", r"decode_head.ppm.branches.\1.1.1."),
    (r"^decode_head\.bottleneck\.conv\.", "decode_head.bottleneck.0."),
    (r"^decode_head\.bottleneck\.bn\.", "decode_head.bottleneck.1."),
    (r"^decode_head\.conv_seg\.", "decode_head.classifier."),
    (r"^auxiliary_head\.convs\.0\.conv\.", "aux_head.convs.0.0."),
    (r"^auxiliary_head\.convs\.0\.bn\.", "aux_head.convs.0.1."),
    (r"^auxiliary_head\.conv_seg\.", "aux_head.classifier."),
]


@WEIGHT_CONVERTERS.register()
def mmseg_pspnet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For MODEL.RESNETS.STEM_WIDTH 32, FIRST_BLOCK_DILATION half, ALIGN_CORNERS False."""
    return rename_keys(state_dict, RULES)
