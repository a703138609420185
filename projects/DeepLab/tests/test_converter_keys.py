"""Each converter maps every key of its reference's state_dict (a committed table of names and shapes)
exactly once onto a key of the model its recipe builds, with the same shape; the parameter counts are the
references'."""
import math
import os
import re
import sys

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.utils.testing import map_key_table, num_params, read_key_table, state_shapes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deeplab_test_helpers import HERE, meta_model

CASES = {  # converter: (key table, recipe, reference parameter count, tensors in the table)
    "torchvision_deeplabv3": ("torchvision_deeplabv3_resnet50_keys.txt", "voc2012/deeplabv3_R50_torchvision.yaml", 42_004_074, 370),
    "mmseg_deeplabv3": ("mmseg_deeplabv3_r50-d8_150_keys.txt", "ade20k/deeplabv3_R50-D8_512x512_80k_ade20k_mmseg.yaml", 68_213_900, 376),
    "mmseg_deeplabv3plus": ("mmseg_deeplabv3plus_r50-d8_150_keys.txt", "ade20k/deeplabv3plus_R50-D8_512x512_80k_ade20k_mmseg.yaml", 43_690_748, 424),
    "mmseg_fastfcn_aspp": ("mmseg_fastfcn_r50-d32_jpu_aspp_19_keys.txt",
                           "cityscapes/deeplabv3_jpu_R50-d32_512x1024_80k_cityscapes_mmseg.yaml", 87_848_582, 442),
}
SPOT_CHECKS = {
    "torchvision_deeplabv3": {"decode_head.aspp.pool.1.0.weight": "classifier.0.convs.4.1.weight",
                              "decode_head.aspp.pool.1.1.running_var": "classifier.0.convs.4.2.running_var",
                              "decode_head.post_conv.1.bias": "classifier.2.bias",
                              "aux_head.classifier.weight": "aux_classifier.4.weight"},
    "mmseg_deeplabv3": {"backbone.conv2.weight": "backbone.stem.3.weight",
                        "decode_head.aspp.project.0.weight": "decode_head.bottleneck.conv.weight",
                        "decode_head.aspp.convs.3.1.bias": "decode_head.aspp_modules.3.bn.bias"},
    "mmseg_deeplabv3plus": {"decode_head.aspp.convs.2.conv_dw.weight": "decode_head.aspp_modules.2.depthwise_conv.conv.weight",
                            "decode_head.fuse.1.bn_pw.weight": "decode_head.sep_bottleneck.1.pointwise_conv.bn.weight",
                            "decode_head.low_level.0.weight": "decode_head.c1_bottleneck.conv.weight"},
    "mmseg_fastfcn_aspp": {"neck.convs.2.1.running_var": "neck.conv_layers.2.0.bn.running_var",
                           "neck.branches.3.bn_pw.running_mean": "neck.dilation_layers.3.0.pointwise_conv.bn.running_mean",
                           "neck.branches.0.bn_pw.bias": "neck.dilation_layers.0.0.pointwise_conv.bn.bias",
                           "decode_head.aspp.convs.0.0.weight": "decode_head.aspp_modules.0.conv.weight",
                           "aux_head.convs.0.0.weight": "auxiliary_head.convs.0.conv.weight"},
}
# The JPU converter reorders these branch tensors' channel blocks (checked in projects/EncNet's tests of
# seg_engine.checkpoint.mmseg_jpu) and so makes them anew.
JPU_CONVERTERS = ("mmseg_fastfcn_aspp",)
JPU_REORDERED = r"neck\.branches\.\d\.(conv_dw\.weight|bn_dw\.(weight|bias|running_mean|running_var)|conv_pw\.weight)$"
# A JPU key lets mmseg_fastfcn_aspp reach the key it must refuse (without one it points to mmseg_deeplabv3).
NECK = {"mmseg_fastfcn_aspp": {"neck.conv_layers.0.0.conv.weight": torch.zeros(1)}}


@pytest.mark.parametrize("converter", CASES)
def test_every_reference_key_maps_once_onto_the_recipes_model(converter):
    table, recipe, params, tensors = CASES[converter]
    ref = read_key_table(os.path.join(HERE, "data", table))
    assert len(ref) == tensors
    ref_params = sum(math.prod(s) for k, s in ref.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    assert ref_params == params
    model = meta_model(recipe)
    assert num_params(model) == params
    source = map_key_table(ref, converter, state_shapes(model), wrap=lambda state: {"state_dict": state})
    made = {k for k, v in source.items() if v is None}  # new tensors: the JPU branches' reordered channel blocks
    assert made == {k for k in source if converter in JPU_CONVERTERS and re.match(JPU_REORDERED, k)}
    unmapped = set(ref) - set(source.values())
    assert len(source) == len(ref) and len(unmapped) == len(made), "every reference key mapped exactly once"
    assert all(re.match(r"neck\.dilation_layers\.\d\.0\.(depthwise|pointwise)_conv\.", k) for k in unmapped)
    for key, reference_key in SPOT_CHECKS[converter].items():
        assert source[key] == reference_key


def test_torchvision_resnet101_has_its_parameter_count():
    assert num_params(meta_model("voc2012/deeplabv3_R50_torchvision.yaml", "MODEL.RESNETS.DEPTH", "101")) == 60_996_202


@pytest.mark.parametrize("converter", CASES)
def test_a_key_of_another_layout_is_refused(converter):
    with pytest.raises(KeyError, match="1 checkpoint keys match no rule of this layout: head.fc.weight"):
        convert_weights({"backbone.layer1.0.conv1.weight": torch.zeros(1), "head.fc.weight": torch.zeros(1),
                         **NECK.get(converter, {})}, converter)


def test_fastfcn_aspp_without_a_neck_points_to_mmseg_deeplabv3():
    with pytest.raises(KeyError, match="no JPU neck; use mmseg_deeplabv3"):
        convert_weights({"decode_head.conv_seg.weight": torch.zeros(1)}, "mmseg_fastfcn_aspp")


def test_fastfcn_aspp_recipe_is_mmsegs_strided_and_dilated_backbone_under_a_jpu():
    model = meta_model("cityscapes/deeplabv3_jpu_R50-d32_512x1024_80k_cityscapes_mmseg.yaml")
    assert [(b.conv2.stride[0], b.conv2.dilation[0]) for b in model.backbone.layer4] == [(2, 2), (1, 4), (1, 4)]
    assert model.backbone.output_shape()["res5"].stride == 32
    assert model.decode_head.aspp.convs[0][0].in_channels == 4 * 512 and model.decode_head.aspp.rates == [12, 24, 36]
    assert model.aux_head.convs[0][0].in_channels == 1024 and model.train_output_stride == 8
