"""milesial/Pytorch-UNet checkpoints (``unet.UNet(n_channels, n_classes, bilinear=False)``) to UNet.

Their keys: ``inc.double_conv.{0,1,3,4}``, ``down{k}.maxpool_conv.1.double_conv.*``, ``up{k}.up``
(the transposed conv), ``up{k}.conv.double_conv.*`` and ``outc.conv``. DoubleConv is
Sequential(conv, BN, ReLU, conv, BN, ReLU): children 0/1 and 3/4 are ConvStack's ``0.0/0.1`` and ``1.0/1.1``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

_DOUBLE_CONV = {"0": "0.0", "1": "0.1", "3": "1.0", "4": "1.1"}

RULES = (
    [(rf"inc\.double_conv\.{i}\.", f"backbone.stages.0.{o}.") for i, o in _DOUBLE_CONV.items()]
    + [(rf"down(\d)\.maxpool_conv\.1\.double_conv\.{i}\.", rf"backbone.stages.\1.{o}.") for i, o in _DOUBLE_CONV.items()]
    + [(r"up(\d)\.up\.", r"decoder.blocks.<\1>.up.up.")]
    + [(rf"up(\d)\.conv\.double_conv\.{i}\.", rf"decoder.blocks.<\1>.convs.{o}.") for i, o in _DOUBLE_CONV.items()]
    + [(r"outc\.conv\.", "decode_head.classifier.")]
)


@WEIGHT_CONVERTERS.register()
def milesial_unet(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For configs/Base-UNet-paper.yaml (MODEL.NUM_CLASSES as the checkpoint's n_classes); every tensor is
    renamed. ``mask_values`` (the mask colours their train.py stores in the state dict) is dropped."""
    return rename_keys(state_dict, RULES, drop=[r"mask_values$"])
