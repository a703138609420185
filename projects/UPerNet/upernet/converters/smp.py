"""segmentation_models_pytorch's ``UPerNet`` (0.4+) with a ResNet encoder to EncoderDecoder + UPerHead.

Their keys: ``encoder.*`` (torchvision's ResNet without ``fc``), ``decoder.feature_norms.i`` (a LayerNorm per
encoder map), ``decoder.psp.blocks.i.1.{0,1}`` and ``decoder.psp.out_conv.{0,1}`` (pyramid pooling and its
3x3 conv), ``decoder.fpn_lateral_blocks.i.conv_norm_relu.{0,1}`` and ``decoder.fpn_conv_blocks.i.{0,1}``
(coarsest level first), ``decoder.fusion_block.{0,1}`` and ``segmentation_head.0`` (the 1x1 classifier).
"""
from __future__ import annotations

import re
from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

RULES = [
    (r"encoder\.", "backbone."),
    (r"decoder\.feature_norms\.", "decode_head.input_norms."),
    (r"decoder\.psp\.blocks\.(\d+)\.1\.", r"decode_head.ppm.branches.\1.1."),
    (r"decoder\.psp\.out_conv\.", "decode_head.bottleneck."),
    (r"decoder\.fusion_block\.", "decode_head.fpn_bottleneck."),
    (r"segmentation_head\.0\.", "decode_head.classifier."),
]
LEVELS = re.compile(r"decoder\.(fpn_lateral_blocks\.(\d+)\.conv_norm_relu|fpn_conv_blocks\.(\d+))\.(.+)")


def _level_key(key: str, levels: int) -> str:
    """smp lists the FPN levels coarsest first (block 0 reads the stride-16 map); here finest first."""
    m = LEVELS.fullmatch(key)
    index = int(m.group(2) if m.group(2) is not None else m.group(3))
    kind = "lateral_convs" if m.group(2) is not None else "fpn_convs"
    return f"decode_head.{kind}.{levels - 1 - index}.{m.group(4)}"


@WEIGHT_CONVERTERS.register()
def smp_upernet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For ``Base-UPerNet-smp.yaml`` (torchvision ResNet, INPUT_NORM, CHANNELS 256, no aux head)."""
    levels = {k: v for k, v in state_dict.items() if LEVELS.fullmatch(k)}
    count = len({LEVELS.fullmatch(k).group(2) for k in levels if LEVELS.fullmatch(k).group(2) is not None})
    rest = {k: v for k, v in state_dict.items() if k not in levels}
    return {**rename_keys(rest, RULES), **{_level_key(k, count): v for k, v in levels.items()}}
