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

from seg_engine_projects.encnet.converters import rename_keys  # noqa: E402

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


# ---------------------------------------------------------------------------- mmsegmentation 1.2.2
# mmseg_encnet and mmseg_fastfcn: every key of mmsegmentation's models maps once onto a key of the
# same shape in the mmseg recipes' models, and the parameter counts are mmsegmentation's (logits
# parity is measured outside the repo, see README).
RECIPES = os.path.join(PROJECT, "configs", "ade20k")
ENCNET_D8 = ("mmseg_encnet_r50_d8_keys.txt", "mmseg_encnet", "encnet_R50-d8_512x512_80k_ade20k_mmseg.yaml")
FASTFCN_ENC = ("mmseg_fastfcn_r50_d32_jpu_enc_keys.txt", "mmseg_fastfcn", "encnet_jpu_R50-d32_512x512_80k_ade20k_mmseg.yaml")
# sum(p.numel() for p in model.parameters()) of mmsegmentation 1.2.2's models with 150 classes.
MMSEG_PARAMS = {"mmseg_encnet": 36_060_034, "mmseg_fastfcn": 55_795_586}


def recipe_model(recipe):
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(RECIPES, recipe))
    cfg.merge_from_list(["MODEL.DEVICE", "meta", "MODEL.WEIGHTS", ""])
    with torch.device("meta"):
        return build_model(cfg)


@pytest.mark.parametrize("table_name, fmt, recipe", [ENCNET_D8, FASTFCN_ENC])
def test_every_mmseg_key_maps_once_onto_the_recipe_model(table_name, fmt, recipe):
    table = reference_table(table_name)
    model = recipe_model(recipe)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    converted, origin = convert_table(table, fmt)
    assert len(converted) == len(table) and set(origin.values()) == set(table)
    assert set(converted) == set(ours)
    assert not {k: (converted[k], ours[k]) for k in ours if converted[k] != ours[k]}
    assert sum(p.numel() for p in model.parameters()) == MMSEG_PARAMS[fmt]


def test_mmseg_keys_land_where_expected():
    _, origin = convert_table(reference_table(FASTFCN_ENC[0]), "mmseg_fastfcn")
    assert origin["backbone.conv1.weight"] == "backbone.stem.0.weight"
    assert origin["decode_head.enc_module.encoding.codewords"] == "decode_head.enc_module.encoding.0.codewords"
    assert origin["decode_head.enc_module.code_norm.running_var"] == "decode_head.enc_module.encoding.1.running_var"
    assert origin["decode_head.se_classifier.weight"] == "decode_head.se_layer.weight"
    assert origin["neck.convs.2.0.weight"] == "neck.conv_layers.2.0.conv.weight"
    assert origin["neck.branches.3.conv_pw.weight"] == "neck.dilation_layers.3.0.pointwise_conv.conv.weight"
    assert origin["aux_head.classifier.bias"] == "auxiliary_head.conv_seg.bias"


def test_jpu_branch_weights_are_reordered_deepest_first():
    """mmseg concatenates the JPU inputs (res3, res4, res5), ours (res5, res4, res3): channel blocks swap."""
    width, n = 2, 3
    dw = torch.arange(n * width, dtype=torch.float).view(n * width, 1, 1, 1)
    pw = torch.arange(n * width, dtype=torch.float).view(1, n * width, 1, 1)
    state = {f"neck.conv_layers.{i}.0.conv.weight": torch.zeros(width, 1, 3, 3) for i in range(n)}
    state.update({
        "neck.dilation_layers.0.0.depthwise_conv.conv.weight": dw,
        "neck.dilation_layers.0.0.depthwise_conv.bn.running_mean": dw.flatten(),
        "neck.dilation_layers.0.0.depthwise_conv.bn.num_batches_tracked": torch.tensor(7),
        "neck.dilation_layers.0.0.pointwise_conv.conv.weight": pw,
    })
    out = WEIGHT_CONVERTERS.get("mmseg_fastfcn")(state)
    expected = [4.0, 5.0, 2.0, 3.0, 0.0, 1.0]
    assert out["neck.branches.0.conv_dw.weight"].flatten().tolist() == expected
    assert out["neck.branches.0.bn_dw.running_mean"].tolist() == expected
    assert out["neck.branches.0.conv_pw.weight"].flatten().tolist() == expected
    assert out["neck.branches.0.bn_dw.num_batches_tracked"].item() == 7


def test_wrong_family_is_named():
    with pytest.raises(KeyError, match="has a JPU neck; use mmseg_fastfcn"):
        WEIGHT_CONVERTERS.get("mmseg_encnet")({"neck.conv_layers.0.0.conv.weight": torch.zeros(1)})
    with pytest.raises(KeyError, match="PSP head on the JPU; use mmseg_fastfcn_psp"):
        WEIGHT_CONVERTERS.get("mmseg_fastfcn")({"decode_head.psp_modules.0.1.conv.weight": torch.zeros(1)})
    with pytest.raises(KeyError, match="no JPU neck; use mmseg_encnet"):
        convert_weights({"state_dict": {"decode_head.conv_seg.weight": torch.zeros(1)}}, "mmseg_fastfcn")


def test_bottleneck_kernel_switch():
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(RECIPES, FASTFCN_ENC[2]))
    cfg.merge_from_list(["MODEL.DEVICE", "meta", "MODEL.WEIGHTS", "", "MODEL.ENCNET.BOTTLENECK_KERNEL", "0"])
    with torch.device("meta"):
        assert build_model(cfg).decode_head.bottleneck[0].kernel_size == (1, 1)  # FastFCN's own
    cfg.MODEL.ENCNET.BOTTLENECK_KERNEL = 5
    with pytest.raises(ValueError, match="MODEL.ENCNET.BOTTLENECK_KERNEL must be 0"):
        with torch.device("meta"):
            build_model(cfg)
