"""The converters map every key of the authors' models exactly once onto a key of the same shape here."""
import os

import pytest
import torch

from seg_engine.checkpoint import WEIGHT_CONVERTERS, convert_weights
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)

from encnet.converters import rename_keys  # noqa: E402

DATA = os.path.join(PROJECT, "tests", "data")


def reference_table(name):
    """``{key: shape}`` of a reference model, from a table listed once from the authors' code."""
    table = {}
    with open(os.path.join(DATA, name)) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, shape = line.split()
            table[key] = () if shape == "-" else tuple(int(s) for s in shape.split(","))
    return table


def meta_state(*opts):
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(PROJECT, "configs", "Base-EncNet.yaml"))
    cfg.merge_from_list(["MODEL.NUM_CLASSES", "150", "MODEL.DEVICE", "meta", *opts])
    with torch.device("meta"):
        return {k: tuple(v.shape) for k, v in build_model(cfg).state_dict().items()}


def convert_table(table, fmt):
    """Convert a state dict of meta tensors and return the new keys' shapes, and old -> new."""
    state = {key: torch.empty(shape, device="meta") for key, shape in table.items()}
    tagged = {key: torch.full((), i, device="cpu") for i, key in enumerate(table)}
    converted = convert_weights({"state_dict": state}, fmt)
    origin = {new: list(table)[int(v)] for new, v in convert_weights({"state_dict": tagged}, fmt).items()}
    return {k: tuple(v.shape) for k, v in converted.items()}, origin


@pytest.mark.parametrize(
    "table_name, fmt, opts, dropped",
    [
        ("pytorch_encoding_encnet_r50s_ade_keys.txt", "pytorch_encoding_encnet", (), set()),
        ("fastfcn_encnet_jpu_r50_ade_keys.txt", "fastfcn_encnet",
         ("MODEL.RESNETS.OUTPUT_STRIDE", "32", "MODEL.ENCNET.USE_JPU", "True"), {"pretrained.fc.weight", "pretrained.fc.bias"}),
    ],
)
def test_every_reference_key_maps_once_onto_a_model_key(table_name, fmt, opts, dropped):
    table = reference_table(table_name)
    ours = meta_state(*opts)
    converted, origin = convert_table(table, fmt)
    # Each kept reference key gives its own key (none collide), and they cover the model exactly.
    assert len(converted) == len(table) - len(dropped)
    assert set(origin.values()) == set(table) - dropped
    assert set(converted) == set(ours)
    mismatched = {k: (converted[k], ours[k]) for k in ours if converted[k] != ours[k]}
    assert not mismatched


def test_jpu_and_encoding_keys_land_where_expected():
    _, origin = convert_table(reference_table("fastfcn_encnet_jpu_r50_ade_keys.txt"), "fastfcn_encnet")
    assert origin["neck.convs.0.0.weight"] == "jpu.conv3.0.weight"  # res3 -> the first conv
    assert origin["neck.convs.2.0.weight"] == "jpu.conv5.0.weight"
    assert origin["neck.branches.3.conv_dw.weight"] == "jpu.dilation4.0.conv1.weight"
    assert origin["neck.branches.0.bn_pw.running_var"] == "jpu.dilation1.1.running_var"
    assert origin["decode_head.enc_module.encoding.codewords"] == "head.encmodule.encoding.3.codewords"
    assert origin["decode_head.enc_module.code_norm.weight"] == "head.encmodule.encoding.4.weight"
    assert origin["backbone.bn3.weight"] == "pretrained.bn1.weight"


def test_imagenet_backbone_converter_covers_the_backbone():
    table = {k[len("pretrained."):]: v for k, v in reference_table("pytorch_encoding_encnet_r50s_ade_keys.txt").items()
             if k.startswith("pretrained.")}
    table.update({"fc.weight": (1000, 2048), "fc.bias": (1000,)})
    converted, _ = convert_table(table, "pytorch_encoding_resnet")
    backbone = {k: v for k, v in meta_state().items() if k.startswith("backbone.")}
    assert converted == backbone


def test_basic_stem_checkpoints_map_conv1_and_bn1_directly():
    state = {"pretrained.conv1.weight": torch.zeros(64, 3, 7, 7), "pretrained.bn1.bias": torch.zeros(64)}
    assert set(WEIGHT_CONVERTERS.get("pytorch_encoding_encnet")(state)) == {"backbone.conv1.weight", "backbone.bn1.bias"}


def test_unknown_keys_are_an_error():
    with pytest.raises(KeyError, match="match no rule of this layout"):
        convert_weights({"state_dict": {"head.conv5.0.weight": torch.zeros(1), "decoder.x": torch.zeros(1)}},
                        "pytorch_encoding_encnet")


def test_rename_keys_offsets_marked_indices():
    assert rename_keys({"a.3.w": 1}, [(r"a\.(\d)\.w", r"b.<\1>.w")]) == {"b.2.w": 1}
