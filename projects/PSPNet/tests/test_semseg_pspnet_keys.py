"""The semseg_pspnet converter maps every key of the authors' PSPNet-50 onto this model, one to one."""
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin

HERE = os.path.dirname(os.path.abspath(__file__))
load_plugin(os.path.dirname(HERE))

TABLE = os.path.join(HERE, "semseg_pspnet50_ade20k_keys.txt")


def reference_shapes():
    """key -> shape of hszhao/semseg's PSPNet(layers=50, classes=150), from the committed table."""
    shapes = {}
    with open(TABLE) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, shape = line.split()
            assert key not in shapes, f"{key} listed twice"
            shapes[key] = () if shape == "-" else tuple(int(n) for n in shape.split(","))
    return shapes


def our_shapes():
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(os.path.dirname(HERE), "configs", "Base-PSPNet.yaml"))
    cfg.merge_from_list(["MODEL.NUM_CLASSES", "150", "MODEL.DEVICE", "meta"])
    with torch.device("meta"):
        model = build_model(cfg)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_every_reference_key_maps_once_onto_a_key_of_the_same_shape():
    ref = reference_shapes()
    assert len(ref) == 370
    # Each tensor is tagged by its reference name, so the mapping can be read back from the output.
    tagged = {f"module.{k}": (k, torch.empty(s, device="meta")) for k, s in ref.items()}
    converted = convert_weights({"state_dict": tagged}, "semseg_pspnet")
    ours = our_shapes()

    sources = [source for source, _ in converted.values()]
    assert sorted(sources) == sorted(ref), "every reference key is mapped exactly once"
    assert set(converted) == set(ours), "the converted keys are exactly the model's keys"
    mismatched = {k: (ref[src], ours[k]) for k, (src, t) in converted.items() if ref[src] != ours[k]}
    assert mismatched == {}
    assert converted["backbone.conv3.weight"][0] == "layer0.6.weight"
    assert converted["decode_head.ppm.branches.3.1.1.running_var"][0] == "ppm.features.3.2.running_var"
    assert converted["aux_head.classifier.bias"][0] == "aux.4.bias"


def test_a_key_of_another_layout_is_refused():
    with pytest.raises(KeyError, match="1 checkpoint keys match no rule of this layout: head.fc.weight"):
        convert_weights({"layer0.0.weight": torch.zeros(1), "head.fc.weight": torch.zeros(1)}, "semseg_pspnet")
