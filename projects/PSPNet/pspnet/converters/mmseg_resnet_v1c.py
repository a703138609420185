"""mmsegmentation's ImageNet ResNetV1c (``open-mmlab://resnet50_v1c``): ``stem.0``..``stem.7``, layers, fc."""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS

from seg_engine.checkpoint import rename_keys

# stem = Sequential(conv, bn, relu, conv, bn, relu, conv, bn, relu): children 0/1, 3/4, 6/7.
STEM_RULES = [
    (r"^stem\.0\.", "backbone.conv1."),
    (r"^stem\.1\.", "backbone.bn1."),
    (r"^stem\.3\.", "backbone.conv2."),
    (r"^stem\.4\.", "backbone.bn2."),
    (r"^stem\.6\.", "backbone.conv3."),
    (r"^stem\.7\.", "backbone.bn3."),
]
RULES = STEM_RULES + [(r"^(layer[1-4])\.", r"backbone.\1.")]
DROP = [r"^fc\.", r"^head\."]


@WEIGHT_CONVERTERS.register()
def mmseg_resnet_v1c(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For MODEL.RESNETS.STEM_WIDTH 32 (its stem is 32-32-64 wide, as here).

    A leading ``backbone.`` (checkpoints of mmpretrain classifiers) is accepted.
    """
    state = {k[len("backbone."):] if k.startswith("backbone.") else k: v for k, v in state_dict.items()}
    return rename_keys(state, RULES, DROP)
