"""The UNet layouts beyond their key tables (tests/checkpoint/test_layouts.py): milesial's ``bilinear=True`` UNet
(the layout's table is ``bilinear=False``'s) maps every key onto Base-UNet-milesial-bilinear.yaml's model, and the
``mask_values`` entry of milesial's checkpoints is dropped."""
import os
import sys

import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.utils.testing import map_key_table, read_key_table, state_shapes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_test_helpers import HERE, build  # noqa: E402


def test_milesial_bilinear_unet_maps_every_key_once_onto_the_bilinear_recipe():
    ref = read_key_table(os.path.join(HERE, "data", "milesial_unet_bilinear_keys.txt"))
    assert len(ref) == 110
    ours = state_shapes(build("Base-UNet-milesial-bilinear.yaml", "MODEL.NUM_CLASSES", 1, device="meta"))
    source = map_key_table(ref, "milesial_unet", ours, wrap=lambda state: {"state_dict": state})
    assert sorted(source.values()) == sorted(ref), "every reference key is mapped exactly once"
    assert source["decoder.blocks.0.convs.0.0.weight"] == "up1.conv.double_conv.0.weight"
    assert source["backbone.stages.4.1.0.weight"] == "down4.maxpool_conv.1.double_conv.3.weight"


def test_milesial_checkpoints_mask_values_entry_is_dropped():
    state = {"outc.conv.bias": torch.zeros(2), "mask_values": [0, 1]}
    assert list(convert_weights(state, "milesial_unet")) == ["decode_head.classifier.bias"]
