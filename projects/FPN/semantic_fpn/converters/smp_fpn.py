"""segmentation_models_pytorch's ``FPN`` with a ResNet encoder to the SemanticFPN model.

Their keys: ``encoder.*`` (torchvision's ResNet without ``fc``), ``decoder.p5`` (the 1x1 conv of C5),
``decoder.p{4,3,2}.skip_conv`` (the lateral 1x1 convs), ``decoder.seg_blocks.j.block.k.block.{0,1}``
(conv and GroupNorm of the k-th unit of level p(5 - j); the up-samplings hold no keys) and
``segmentation_head.0`` (the 1x1 classifier).
"""
from __future__ import annotations

import re
from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

RULES = [
    (r"encoder\.", "backbone."),
    (r"decoder\.p5\.", "neck.lateral_convs.3.0."),
    (r"decoder\.p4\.skip_conv\.", "neck.lateral_convs.2.0."),
    (r"decoder\.p3\.skip_conv\.", "neck.lateral_convs.1.0."),
    (r"decoder\.p2\.skip_conv\.", "neck.lateral_convs.0.0."),
    (r"segmentation_head\.0\.", "decode_head.classifier."),
]
SEG_BLOCK = re.compile(r"decoder\.seg_blocks\.(\d)\.block\.(\d+)\.block\.([01])\.(.+)")


def _seg_block_key(key: str) -> str:
    """smp lists levels coarsest first (seg_blocks.0 is p5) and its units without the up-samplings,
    which sit between the units here (Sequential index 2k)."""
    level, unit, layer, rest = SEG_BLOCK.fullmatch(key).groups()
    return f"decode_head.scale_heads.{3 - int(level)}.{2 * int(unit)}.{layer}.{rest}"


@WEIGHT_CONVERTERS.register()
def smp_fpn(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For ``Base-SemanticFPN-smp.yaml`` models (torchvision ResNet, FPN.OUTPUT_CONVS False, GN head)."""
    blocks = {_seg_block_key(k): v for k, v in state_dict.items() if SEG_BLOCK.fullmatch(k)}
    rest = {k: v for k, v in state_dict.items() if not SEG_BLOCK.fullmatch(k)}
    return {**rename_keys(rest, RULES), **blocks}
