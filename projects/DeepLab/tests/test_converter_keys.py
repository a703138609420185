"""Each converter maps every key of its reference's state_dict (a committed table of names and shapes)
exactly once onto a key of the model its recipe builds, with the same shape; the parameter counts are the
references'."""
import math
import os
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
}


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
    assert sorted(source.values()) == sorted(ref), "every reference key mapped exactly once"
    for key, reference_key in SPOT_CHECKS[converter].items():
        assert source[key] == reference_key


def test_torchvision_resnet101_has_its_parameter_count():
    assert num_params(meta_model("voc2012/deeplabv3_R50_torchvision.yaml", "MODEL.RESNETS.DEPTH", "101")) == 60_996_202


@pytest.mark.parametrize("converter", CASES)
def test_a_key_of_another_layout_is_refused(converter):
    with pytest.raises(KeyError, match="1 checkpoint keys match no rule of this layout: head.fc.weight"):
        convert_weights({"backbone.layer1.0.conv1.weight": torch.zeros(1), "head.fc.weight": torch.zeros(1)}, converter)
