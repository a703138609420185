"""The DeepLab layouts beyond their key tables (tests/checkpoint/test_layouts.py): the recipes they load into have
the references' parameter counts, FastFCN's JPU branches are the only tensors remade, and a checkpoint without the
JPU neck is pointed to the layout that loads it."""
import math
import os
import re
import sys

import pytest
import torch

from seg_engine.checkpoint import LAYOUTS, convert_weights
from seg_engine.utils.testing import ROOT, map_key_table, num_params, read_key_table, state_shapes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deeplab_test_helpers import meta_model  # noqa: E402 (loads the project)

# sum(p.numel()) of the reference models the key tables were listed from
PARAMS = {"torchvision_deeplabv3": 42_004_074, "mmseg_deeplabv3": 68_213_900, "mmseg_deeplabv3plus": 43_690_748,
          "mmseg_fastfcn_aspp": 87_848_582}
RECIPES = {"torchvision_deeplabv3": "voc2012/deeplabv3_R50_torchvision.yaml",
           "mmseg_deeplabv3": "ade20k/deeplabv3_R50-D8_512x512_80k_ade20k_mmseg.yaml",
           "mmseg_deeplabv3plus": "ade20k/deeplabv3plus_R50-D8_512x512_80k_ade20k_mmseg.yaml",
           "mmseg_fastfcn_aspp": "cityscapes/deeplabv3_jpu_R50-d32_512x1024_80k_cityscapes_mmseg.yaml"}
# The JPU layout reorders these branch tensors' channel blocks (see projects/EncNet's test of the reorder) and so makes
# them anew.
JPU_REORDERED = r"neck\.branches\.\d\.(conv_dw\.weight|bn_dw\.(weight|bias|running_mean|running_var)|conv_pw\.weight)$"


def reference_table(name):
    return read_key_table(os.path.join(ROOT, LAYOUTS[name].key_table))


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_the_recipe_has_the_references_parameter_count(name):
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    assert sum(math.prod(s) for k, s in reference_table(name).items() if not k.endswith(buffers)) == PARAMS[name]
    assert num_params(meta_model(RECIPES[name])) == PARAMS[name]


def test_torchvision_resnet101_has_its_parameter_count():
    assert num_params(meta_model("voc2012/deeplabv3_R50_torchvision.yaml", "MODEL.RESNETS.DEPTH", "101")) == 60_996_202


def test_fastfcn_aspp_remakes_only_the_jpu_branches_reordered_tensors():
    table = reference_table("mmseg_fastfcn_aspp")
    source = map_key_table(table, "mmseg_fastfcn_aspp", state_shapes(meta_model(RECIPES["mmseg_fastfcn_aspp"])))
    assert {k for k, v in source.items() if v is None} == {k for k in source if re.match(JPU_REORDERED, k)}
    unmapped = set(table) - set(source.values())
    assert unmapped and all(re.match(r"neck\.dilation_layers\.\d\.0\.(depthwise|pointwise)_conv\.", k) for k in unmapped)


def test_fastfcn_aspp_without_a_neck_points_to_mmseg_deeplabv3():
    with pytest.raises(KeyError, match="no JPU neck; use mmseg_deeplabv3"):
        convert_weights({"decode_head.conv_seg.weight": torch.zeros(1)}, "mmseg_fastfcn_aspp")


def test_fastfcn_aspp_recipe_is_mmsegs_strided_and_dilated_backbone_under_a_jpu():
    model = meta_model("cityscapes/deeplabv3_jpu_R50-d32_512x1024_80k_cityscapes_mmseg.yaml")
    assert [(b.conv2.stride[0], b.conv2.dilation[0]) for b in model.backbone.layer4] == [(2, 2), (1, 4), (1, 4)]
    assert model.backbone.output_shape()["res5"].stride == 32
    assert model.decode_head.aspp.convs[0][0].in_channels == 4 * 512 and model.decode_head.aspp.rates == [12, 24, 36]
    assert model.aux_head.convs[0][0].in_channels == 1024 and model.train_output_stride == 8
