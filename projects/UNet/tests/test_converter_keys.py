"""Each converter maps every key of its reference (tables in data/, listed from the reference models
outside the repo) once onto a key of this project's model with the same shape."""
import sys
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.utils.testing import map_key_table, read_key_table, state_shapes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_test_helpers import HERE, build  # noqa: E402

CASES = {
    "milesial_unet": ("milesial_unet_keys.txt", "Base-UNet-paper.yaml", 1, 118,
                      {"backbone.stages.4.1.1.running_var": "down4.maxpool_conv.1.double_conv.4.running_var",
                       "decoder.blocks.0.up.up.weight": "up1.up.weight",
                       "decoder.blocks.3.convs.0.0.weight": "up4.conv.double_conv.0.weight",
                       "decode_head.classifier.bias": "outc.conv.bias"}),
    "milesial_unet (bilinear)": ("milesial_unet_bilinear_keys.txt", "Base-UNet-milesial-bilinear.yaml", 1, 110,
                                 {"decoder.blocks.0.convs.0.0.weight": "up1.conv.double_conv.0.weight",
                                  "backbone.stages.4.1.0.weight": "down4.maxpool_conv.1.double_conv.3.weight"}),
    "smp_unet": ("smp_unet_resnet34_keys.txt", "Base-UNet-smp.yaml", 21, 278,
                 {"backbone.layer4.2.bn2.bias": "encoder.layer4.2.bn2.bias",
                  "decoder.blocks.4.convs.1.1.weight": "decoder.blocks.4.conv2.1.weight",
                  "decode_head.classifier.weight": "segmentation_head.0.weight"}),
    "mmseg_unet": ("mmseg_unet_s5-d16_keys.txt", "Base-UNet-mmseg.yaml", 150, 148,
                   {"backbone.stages.0.1.0.weight": "backbone.encoder.0.0.convs.1.conv.weight",
                    "backbone.stages.3.0.1.bias": "backbone.encoder.3.1.convs.0.bn.bias",
                    "decoder.blocks.0.up.conv.0.weight": "backbone.decoder.3.upsample.interp_upsample.1.conv.weight",
                    "decoder.blocks.3.convs.1.1.running_mean": "backbone.decoder.0.conv_block.convs.1.bn.running_mean",
                    "aux_head.classifier.weight": "auxiliary_head.conv_seg.weight"}),
    "smp_unetplusplus": ("smp_unetplusplus_resnet34_keys.txt", "Base-UNetPlusPlus-smp.yaml", 1, 350,
                         {"decoder.nodes.x_3_1.convs.0.0.weight": "decoder.blocks.x_0_0.conv1.0.weight",
                          "decoder.nodes.x_0_4.convs.0.0.weight": "decoder.blocks.x_0_3.conv1.0.weight",
                          "decoder.nodes.x_0_1.convs.0.0.weight": "decoder.blocks.x_3_3.conv1.0.weight",
                          "decoder.final.0.convs.1.0.weight": "decoder.blocks.x_0_4.conv2.0.weight"}),
    "smp_linknet": ("smp_linknet_resnet18_keys.txt", "Base-LinkNet-smp.yaml", 12, 217,
                    {"decoder.blocks.4.convs.1.0.weight": "decoder.blocks.4.block.1.0.weight",
                     "backbone.conv1.weight": "encoder.conv1.weight"}),
}


def reference_shapes(table):
    return read_key_table(os.path.join(HERE, "data", table))


@pytest.mark.parametrize("converter", sorted(CASES))
def test_every_reference_key_maps_once_onto_a_key_of_the_same_shape(converter):
    table, recipe, classes, count, spots = CASES[converter]
    ref = reference_shapes(table)
    assert len(ref) == count
    ours = state_shapes(build(recipe, "MODEL.NUM_CLASSES", classes, device="meta"))
    source = map_key_table(ref, converter.split()[0], ours, wrap=lambda state: {"state_dict": state})
    assert sorted(source.values()) == sorted(ref), "every reference key is mapped exactly once"
    for ours_key, theirs in spots.items():
        assert source[ours_key] == theirs


@pytest.mark.parametrize("converter", sorted(CASES))
def test_a_key_of_another_layout_is_refused(converter):
    table = CASES[converter][0]
    first = next(iter(reference_shapes(table)))
    state = {first: torch.zeros(1), "head.fc.weight": torch.zeros(1)}
    with pytest.raises(KeyError, match="match no rule of this layout: head.fc.weight"):
        convert_weights(state, converter.split()[0])


def test_milesial_checkpoints_mask_values_entry_is_dropped():
    state = {"outc.conv.bias": torch.zeros(2), "mask_values": [0, 1]}
    assert list(convert_weights(state, "milesial_unet")) == ["decode_head.classifier.bias"]
