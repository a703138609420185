"""wkentaro/pytorch-fcn's FCN32s/FCN16s/FCN8s/FCN8sAtOnce checkpoints to the FCN model here.

Their keys are the Caffe layer names: ``conv1_1`` .. ``conv5_3``, ``fc6``, ``fc7``, ``score_fr``,
``score_pool4``, ``score_pool3``, ``upscore``, ``upscore2``, ``upscore16``, ``upscore_pool4``,
``upscore8``. Their models take Caffe input (BGR, 0-255, minus the BGR mean); conv1_1's input channels
are reversed here so this model takes RGB with MODEL.PIXEL_MEAN the same mean in RGB order and
MODEL.PIXEL_STD 1. Files written by their trainer (``model_state_dict`` next to the optimizer state)
and the bare state dicts of their Caffe conversions (``fcn8s_from_caffe.pth``) are both accepted.
"""
from __future__ import annotations

from typing import Any, Dict, List

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys
from seg_engine.modeling.backbone.vgg import VGG_BLOCKS


def vgg_conv_rules(depth: int = 16) -> List[tuple]:
    """``convB_I.`` -> ``backbone.features.N.`` with N torchvision's index (conv, ReLU pairs; a pool per block)."""
    rules, index = [], 0
    for block, num_convs in enumerate(VGG_BLOCKS[depth], start=1):
        for i in range(1, num_convs + 1):
            rules.append((rf"conv{block}_{i}\.", f"backbone.features.{index}."))
            index += 2
        index += 1
    return rules


RULES = vgg_conv_rules() + [
    (r"fc6\.", "backbone.fc6.0."),
    (r"fc7\.", "backbone.fc7.0."),
    (r"(score_fr|score_pool4|score_pool3|upscore_pool4|upscore16|upscore8|upscore2|upscore)\.", r"decode_head.\1."),
]


@WEIGHT_CONVERTERS.register()
def pytorch_fcn(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """Every key renamed (a key of another layout is an error); conv1_1 made to take RGB."""
    if isinstance(state_dict.get("model_state_dict"), dict):
        state_dict = state_dict["model_state_dict"]
    converted = rename_keys(state_dict, RULES)
    first = "backbone.features.0.weight"
    if first in converted:
        converted[first] = converted[first].flip(1)
    return converted
