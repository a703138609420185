"""The FCN layouts beyond their key tables (tests/checkpoint/test_layouts.py): wkentaro/pytorch-fcn's FCN32s and
FCN16s (the layout's table is FCN8s') map every key, conv1_1 made to take RGB, their trainer's files read; the recipes
have the references' parameter counts; torchvision's VGG-16 fills the paper recipes' backbone."""
import os

import pytest
import torch
import torchvision

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, map_key_table, read_key_table, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
CONFIGS = os.path.join(PROJECT, "configs")
load_plugin(PROJECT)


def our_shapes(recipe, *opts):
    return state_shapes(build_on_meta(load_config(os.path.join(CONFIGS, recipe), *opts)))


def check_one_to_one(table, converter, recipe, *opts):
    """Every reference key maps at most once onto a model key of the same shape, covering the model;
    returns the table and model key -> reference key (None for a tensor the converter made)."""
    ref = read_key_table(os.path.join(HERE, "data", table))
    return ref, map_key_table(ref, converter, our_shapes(recipe, *opts))


@pytest.mark.parametrize("table, stride, count", [
    ("pytorch_fcn_fcn32s_keys.txt", "32", 33), ("pytorch_fcn_fcn16s_keys.txt", "16", 36), ("pytorch_fcn_fcn8s_keys.txt", "8", 39)])
def test_pytorch_fcn_maps_every_key_of_each_stride_and_remakes_only_conv1_1(table, stride, count):
    """The layout's key table is FCN8s'; FCN32s and FCN16s have fewer heads, for MODEL.FCN.STRIDE 32 and 16."""
    ref, mapping = check_one_to_one(table, "pytorch_fcn", "Base-FCN-VGG16.yaml", "MODEL.FCN.STRIDE", stride)
    assert len(ref) == count
    # conv1_1 is replaced by its channel-reversed copy; every other tensor is passed through.
    assert mapping.pop("backbone.features.0.weight") is None
    assert sorted(mapping.values()) == sorted(set(ref) - {"conv1_1.weight"})
    assert mapping["backbone.features.28.bias"] == "conv5_3.bias"
    assert mapping["backbone.fc6.0.weight"] == "fc6.weight"
    assert mapping[{"32": "decode_head.upscore.weight", "16": "decode_head.upscore16.weight",
                    "8": "decode_head.upscore8.weight"}[stride]].startswith("upscore")


def test_pytorch_fcn_reverses_conv1_1_for_rgb_and_reads_trainer_files():
    state = {"conv1_1.weight": torch.arange(2 * 3 * 9.0).view(2, 3, 3, 3), "score_fr.bias": torch.ones(2)}
    converted = convert_weights({"model_state_dict": state, "optim_state_dict": {}, "iteration": 5}, "pytorch_fcn")
    assert torch.equal(converted["backbone.features.0.weight"], state["conv1_1.weight"][:, [2, 1, 0]])
    assert torch.equal(converted["decode_head.score_fr.bias"], state["score_fr.bias"])
    with pytest.raises(KeyError, match="match no rule of this layout: classifier.6.weight"):
        convert_weights({"conv1_1.weight": torch.zeros(1, 3, 1, 1), "classifier.6.weight": torch.zeros(1)}, "pytorch_fcn")


def test_recipe_parameter_counts():
    def count(recipe, *opts):
        return sum(torch.Size(s).numel() for k, s in our_shapes(recipe, *opts).items()
                   if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    assert count("ade20k/fcn_R50-D8_512x512_80k_ade20k_mmseg.yaml") == 49_598_604  # mmseg fcn_r50-d8, 150 classes
    assert count("voc2012/fcn_R50_torchvision.yaml") == 35_322_218  # torchvision fcn_resnet50, aux
    assert count("voc2012/fcn_R50_torchvision.yaml", "MODEL.RESNETS.DEPTH", "101") == 54_314_346
    # The seed's FCN32s: VGG-19-BN features, two 512 -> 512 3x3 heads with BN, 150 classes.
    head = 512 * 512 * 9 + 2 * 512 + 512 * 150 + 150
    assert count("ade20k/fcn32s_vgg19bn_ade20k_seed.yaml") == 20_035_392 + 2 * head


def test_imagenet_vgg16_fills_the_fcn_backbone_with_fc6_fc7():
    """torchvision's vgg16 keys (also those of wkentaro's vgg16_from_caffe.pth) cover the backbone of the
    paper recipes, the classifier's first two layers reshaped to fc6/fc7; the 1000-class layer dropped."""
    with torch.device("meta"):
        reference = torchvision.models.vgg16(weights=None).state_dict()
    ours = our_shapes("voc2012/fcn32s_vgg16_voc_paper.yaml", "MODEL.WEIGHTS", "")
    for converter in ("torchvision_vgg", "torchvision_vgg_caffe_bgr"):
        converted = {k: tuple(v.shape) for k, v in convert_weights(dict(reference), converter).items()}
        assert converted == {k: s for k, s in ours.items() if k.startswith("backbone.")}
