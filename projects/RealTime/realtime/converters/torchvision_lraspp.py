"""torchvision's ``lraspp_mobilenet_v3_large`` (``LRASPP``: ``backbone.<i>`` = MobileNetV3-Large's
``features.<i>``, ``classifier.*``) to configs/Base-LRASPP-torchvision.yaml."""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

RULES = [(r"backbone\.(\d+)\.", r"backbone.features.\1."), (r"classifier\.", "decode_head.")]


@WEIGHT_CONVERTERS.register()
def torchvision_lraspp(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """E.g. ``lraspp_mobilenet_v3_large-d234d4ea.pth`` (COCO with VOC's 21 classes)."""
    return rename_keys(state_dict, RULES)
