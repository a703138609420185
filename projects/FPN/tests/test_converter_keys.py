"""mmseg_fpn and smp_fpn map every key of the reference models onto this model, one to one.

The tables (tests/data/*_keys.txt) list the state_dict keys and shapes of mmsegmentation 1.2.2's
fpn_r50 with 150 classes and of smp.FPN("resnet50", classes=21), written once from the reference models.
"""
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, map_key_table, read_key_table, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

CASES = {  # converter: (table, key count, recipe, options)
    "mmseg_fpn": ("mmseg_fpn_r50_150_keys.txt", 390, "ade20k/fpn_R50_512x512_160k_ade20k_mmseg.yaml", ()),
    "smp_fpn": ("smp_fpn_resnet50_21_keys.txt", 349, "Base-SemanticFPN-smp.yaml", ("MODEL.NUM_CLASSES", "21")),
}


def reference_shapes(table):
    return read_key_table(os.path.join(HERE, "data", table))


@pytest.mark.parametrize("converter", CASES)
def test_every_reference_key_maps_once_onto_a_key_of_the_same_shape(converter):
    table, count, recipe, opts = CASES[converter]
    ref = reference_shapes(table)
    assert len(ref) == count
    ours = state_shapes(build_on_meta(load_config(os.path.join(CONFIGS, recipe), *opts)))
    source = map_key_table(ref, converter, ours, wrap=lambda state: {"state_dict": state, "meta": {}})
    assert sorted(source.values()) == sorted(ref), "every reference key is mapped exactly once"


def test_mmseg_keys_land_where_they_belong():
    ref = reference_shapes(CASES["mmseg_fpn"][0])
    converted = convert_weights({k: k for k in ref}, "mmseg_fpn")
    assert converted["backbone.conv3.weight"] == "backbone.stem.6.weight"
    assert converted["neck.lateral_convs.3.0.weight"] == "neck.lateral_convs.3.conv.weight"
    assert converted["neck.output_convs.0.0.bias"] == "neck.fpn_convs.0.conv.bias"
    assert converted["decode_head.scale_heads.3.4.1.running_var"] == "decode_head.scale_heads.3.4.bn.running_var"
    assert converted["decode_head.classifier.weight"] == "decode_head.conv_seg.weight"


def test_smp_levels_are_reversed_and_units_skip_the_upsamplings():
    ref = reference_shapes(CASES["smp_fpn"][0])
    converted = convert_weights({k: k for k in ref}, "smp_fpn")
    assert converted["backbone.layer4.2.bn3.running_mean"] == "encoder.layer4.2.bn3.running_mean"
    assert converted["neck.lateral_convs.3.0.weight"] == "decoder.p5.weight"
    assert converted["neck.lateral_convs.0.0.bias"] == "decoder.p2.skip_conv.bias"
    assert converted["decode_head.scale_heads.0.0.0.weight"] == "decoder.seg_blocks.3.block.0.block.0.weight"
    assert converted["decode_head.scale_heads.3.4.1.bias"] == "decoder.seg_blocks.0.block.2.block.1.bias"
    assert converted["decode_head.classifier.bias"] == "segmentation_head.0.bias"


@pytest.mark.parametrize("converter", CASES)
def test_a_key_of_another_layout_is_refused(converter):
    with pytest.raises(KeyError, match="1 checkpoint keys match no rule of this layout: auxiliary_head.conv_seg.weight"):
        convert_weights({"auxiliary_head.conv_seg.weight": torch.zeros(1)}, converter)
