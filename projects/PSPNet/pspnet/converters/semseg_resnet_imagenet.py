"""hszhao/semseg's ImageNet ResNets (``initmodel/resnet50_v2.pth``: deep stem conv1..bn3, fc)."""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS

from seg_engine.checkpoint import rename_keys

RULES = [(r"^(conv[123]|bn[123]|layer[1-4])\.", r"backbone.\1.")]
DROP = [r"^fc\."]


@WEIGHT_CONVERTERS.register()
def semseg_resnet_imagenet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """The names are already the backbone's; put them under ``backbone.`` and drop the classifier."""
    return rename_keys(state_dict, RULES, DROP)
