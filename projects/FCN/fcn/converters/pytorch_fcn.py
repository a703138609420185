"""wkentaro/pytorch-fcn's trained FCN32s/FCN16s/FCN8s/FCN8sAtOnce checkpoints.

Their keys are the Caffe layer names: ``conv1_1`` .. ``conv5_3``, ``fc6``, ``fc7``, ``score_fr``, ``score_pool4``,
``score_pool3``, ``upscore``, ``upscore2``, ``upscore16``, ``upscore_pool4``, ``upscore8``. Their models take Caffe
input (BGR, 0-255, minus the BGR mean); conv1_1's input channels are reversed here so this model takes RGB with
MODEL.PIXEL_MEAN the same mean in RGB order and MODEL.PIXEL_STD 1. Files written by their trainer
(``model_state_dict`` next to the optimizer state) and the bare state dicts of their Caffe conversions
(``fcn8s_from_caffe.pth``) are both accepted.
"""
from typing import Any, Dict, List

from seg_engine.checkpoint import WeightLayout, register_layout
from seg_engine.checkpoint.converters import Rule
from seg_engine.checkpoint.vocabulary import prefix
from seg_engine.modeling.backbone.vgg import VGG_BLOCKS

FIRST_CONV = "backbone.features.0.weight"


def vgg_conv_rules(depth: int = 16) -> List[Rule]:
    """``convB_I.`` -> ``backbone.features.N.`` with N torchvision's index (conv, ReLU pairs; a pool per block)."""
    rules, index = [], 0
    for block, num_convs in enumerate(VGG_BLOCKS[depth], start=1):
        for i in range(1, num_convs + 1):
            rules += prefix(f"conv{block}_{i}", f"backbone.features.{index}")
            index += 2
        index += 1
    return rules


def _model_state_dict(state: Dict[str, Any]) -> Dict[str, Any]:
    """The weights of a file their trainer wrote (``model_state_dict``), or the file itself."""
    return state["model_state_dict"] if isinstance(state.get("model_state_dict"), dict) else state


def _conv1_1_to_rgb(state: Dict[str, Any]) -> Dict[str, Any]:
    """conv1_1's input channels reversed, so the Caffe (BGR) net takes RGB."""
    if FIRST_CONV in state:
        state = {**state, FIRST_CONV: state[FIRST_CONV].flip(1)}
    return state


register_layout(WeightLayout(
    name="pytorch_fcn",
    source="wkentaro/pytorch-fcn's trained FCN32s/16s/8s/8sAtOnce (their trainer's files or the Caffe conversions, "
           "e.g. fcn8s_from_caffe.pth), for the VGG-16 paper recipes; conv1_1 is made to take RGB",
    rules=vgg_conv_rules()
    + prefix("fc6", "backbone.fc6.0")
    + prefix("fc7", "backbone.fc7.0")
    + prefix("(score_fr|score_pool4|score_pool3|upscore_pool4|upscore16|upscore8|upscore2|upscore)", r"decode_head.\1"),
    prepare=_model_state_dict,
    finish=_conv1_1_to_rgb,
    recipe="seg_engine://FCN/Base-FCN-VGG16.yaml",
    recipe_opts=("MODEL.FCN.STRIDE", 8),
    key_table="projects/FCN/tests/data/pytorch_fcn_fcn8s_keys.txt",
    examples={"backbone.features.28.bias": "conv5_3.bias",
              "backbone.fc6.0.weight": "fc6.weight",
              "decode_head.upscore8.weight": "upscore8.weight"},
))
