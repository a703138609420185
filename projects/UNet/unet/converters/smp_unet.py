"""segmentation_models_pytorch's ``Unet`` with a ResNet encoder (e.g. ``smp.Unet("resnet34")``) to UNet.

Their keys: ``encoder.*`` (torchvision ResNet), ``decoder.blocks.{i}.conv{1,2}.{0,1}`` (deepest block
first, as here) and ``segmentation_head.0`` (a 3x3 conv).
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

from .smp_encoders import SMP_CONV_RELU, SMP_RESNET_ENCODER

RULES = (
    SMP_RESNET_ENCODER
    + [(rf"decoder\.blocks\.(\d+)\.{c}\.", rf"decoder.blocks.\1.convs.{i}.") for c, i in SMP_CONV_RELU.items()]
    + [(r"segmentation_head\.0\.", "decode_head.classifier.")]
)


@WEIGHT_CONVERTERS.register()
def smp_unet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/Base-UNet-smp.yaml (MODEL.RESNETS.DEPTH as the checkpoint's encoder); every key is renamed."""
    return rename_keys(state_dict, RULES)
