"""The converters map every key of DrSleep's RefineNet-101 and RF-LW-101 onto this model, one to one."""
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, map_key_table, read_key_table, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))


def our_shapes(base):
    return state_shapes(build_on_meta(load_config(os.path.join(CONFIGS, base), "MODEL.NUM_CLASSES", "21")))


CASES = {
    "refinenet_pytorch": ("rf101_voc_keys.txt", "Base-RefineNet.yaml", 712),
    "light_weight_refinenet": ("rf_lw101_voc_keys.txt", "Base-RefineNet-LW.yaml", 652),
}


@pytest.mark.parametrize("converter", sorted(CASES))
def test_every_reference_key_maps_once_onto_a_key_of_the_same_shape(converter):
    table, base, num_keys = CASES[converter]
    ref = read_key_table(os.path.join(HERE, "data", table))  # written once from the reference model
    assert len(ref) == num_keys
    source = map_key_table(ref, converter, our_shapes(base))
    assert sorted(source.values()) == sorted(ref), "every reference key is mapped exactly once"
    assert source["backbone.layer3.22.bn3.running_var"] == "layer3.22.bn3.running_var"
    assert source["decode_head.blocks.0.adapt.weight"] == "p_ims1d2_outl1_dimred.weight"
    assert source["decode_head.blocks.3.crp.convs.3.weight"] == "mflow_conv_g4_pool.0.4_outvar_dimred.weight"
    # RefineNet-4's output conv is the coarse side of RefineNet-3's fusion.
    assert source["decode_head.blocks.1.fusion.coarse_conv.weight"] == "mflow_conv_g1_b3_joint_varout_dimred.weight"
    assert source["decode_head.blocks.2.fusion.fine_conv.weight"] == "adapt_stage3_b2_joint_varout_dimred.weight"
    assert source["decode_head.classifier.bias"] == "clf_conv.bias"
    if converter == "refinenet_pytorch":
        assert source["decode_head.blocks.0.adapt_rcus.1.conv1.bias"] == "adapt_stage1_b.0.2_conv.bias"
        assert source["decode_head.blocks.3.output_rcus.2.conv2.weight"] == "mflow_conv_g4_b.0.3_conv_relu_varout_dimred.weight"


def test_light_weight_converter_refuses_refinenet_rcus():
    state = {"conv1.weight": torch.zeros(1), "adapt_stage1_b.0.1_conv.weight": torch.zeros(1)}
    with pytest.raises(KeyError, match="1 checkpoint keys match no rule of this layout: adapt_stage1_b.0.1_conv.weight"):
        convert_weights(state, "light_weight_refinenet")


def test_a_key_of_another_layout_is_refused():
    with pytest.raises(KeyError, match="match no rule of this layout: fc.weight"):
        convert_weights({"conv1.weight": torch.zeros(1), "fc.weight": torch.zeros(1)}, "refinenet_pytorch")
