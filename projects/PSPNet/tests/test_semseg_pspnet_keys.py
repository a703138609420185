"""The semseg_pspnet converter maps every key of the authors' PSPNet-50 onto this model, one to one."""
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, map_key_table, read_key_table, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
load_plugin(os.path.dirname(HERE))

TABLE = os.path.join(HERE, "semseg_pspnet50_ade20k_keys.txt")  # hszhao/semseg's PSPNet(layers=50, classes=150)


def our_shapes():
    return state_shapes(build_on_meta(load_config(os.path.join(os.path.dirname(HERE), "configs", "Base-PSPNet.yaml"),
                                                  "MODEL.NUM_CLASSES", "150")))


def test_every_reference_key_maps_once_onto_a_key_of_the_same_shape():
    ref = read_key_table(TABLE)
    assert len(ref) == 370
    source = map_key_table(ref, "semseg_pspnet", our_shapes(),
                           wrap=lambda state: {"state_dict": {f"module.{k}": v for k, v in state.items()}})
    assert sorted(source.values()) == sorted(ref), "every reference key is mapped exactly once"
    assert source["backbone.conv3.weight"] == "layer0.6.weight"
    assert source["decode_head.ppm.branches.3.1.1.running_var"] == "ppm.features.3.2.running_var"
    assert source["aux_head.classifier.bias"] == "aux.4.bias"


def test_a_key_of_another_layout_is_refused():
    with pytest.raises(KeyError, match="1 checkpoint keys match no rule of this layout: head.fc.weight"):
        convert_weights({"layer0.0.weight": torch.zeros(1), "head.fc.weight": torch.zeros(1)}, "semseg_pspnet")
