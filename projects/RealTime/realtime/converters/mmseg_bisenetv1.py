"""mmsegmentation's BiSeNetV1 checkpoints (``bisenetv1_r{18,50,101}-d32*``) to RealTimeSegmentor with the
``build_bisenetv1_backbone``, and mmseg's ImageNet ``resnet{18,50,101}_v1c`` as its context-path ResNet.

mmseg builds that ResNet with the 7x7 stem, so loading the deep-stem ``*_v1c`` file into it (the
``in1k-pre`` recipes) sets layer1..4 and leaves the stem at its random initialisation; the converter
does the same: ``stem.*`` and ``fc.*`` are dropped.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .mmseg_layout import conv_module, fcn_heads

CP = r"backbone\.context_path"
RULES = (
    [(rf"{CP}\.backbone\.", "backbone.resnet.")]
    + conv_module(rf"{CP}\.(arm16|arm32)\.conv_layer", r"backbone.context_path.\1.conv")
    + conv_module(rf"{CP}\.(arm16|arm32)\.atten_conv_layer\.1", r"backbone.context_path.\1.attention.1")
    + conv_module(rf"{CP}\.conv_head(16|32)", r"backbone.context_path.head\1")
    + conv_module(rf"{CP}\.gap_conv\.1", "backbone.context_path.global_conv")
    + conv_module(r"backbone\.spatial_path\.layer(\d)", r"backbone.spatial_path.<\1>")
    + conv_module(r"backbone\.ffm\.conv1", "backbone.ffm.conv")
    + conv_module(r"backbone\.ffm\.conv_atten\.0", "backbone.ffm.attention.1")
    + fcn_heads(2)
)
IMAGENET_RULES = [(r"(layer[1-4])\.", r"backbone.resnet.\1.")]


@WEIGHT_CONVERTERS.register()
def mmseg_bisenetv1(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/Base-BiSeNetV1-mmseg.yaml; an ImageNet ResNet (``layer*``, ``stem.*``) gives layer1..4 only."""
    if any(k.startswith(("decode_head.", "auxiliary_head.", "backbone.context_path.")) for k in state_dict):
        return rename_keys(state_dict, RULES)
    state = {k[len("backbone."):] if k.startswith("backbone.") else k: v for k, v in state_dict.items()}
    return rename_keys(state, IMAGENET_RULES, drop=[r"stem\.", r"fc\.", r"head\."])
