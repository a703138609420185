"""The EncNet layouts beyond their key tables (tests/checkpoint/test_layouts.py): the ImageNet backbone layout covers
this backbone, a 7x7 stem loads as it is, mmsegmentation's recipes have its parameter counts, the JPU branches are
reordered, and a checkpoint of another family is named."""
import os

import pytest
import torch

from seg_engine.checkpoint import LAYOUTS, WEIGHT_CONVERTERS, convert_weights, rename_keys
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import ROOT, read_key_table

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)


def meta_state(*opts):
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(PROJECT, "configs", "Base-EncNet.yaml"))
    cfg.merge_from_list(["MODEL.NUM_CLASSES", "150", "MODEL.DEVICE", "meta", *opts])
    with torch.device("meta"):
        return {k: tuple(v.shape) for k, v in build_model(cfg).state_dict().items()}


def test_imagenet_backbone_converter_covers_the_backbone():
    table = read_key_table(os.path.join(ROOT, LAYOUTS["pytorch_encoding_encnet"].key_table))
    table = {k[len("pretrained."):]: v for k, v in table.items() if k.startswith("pretrained.")}
    table.update({"fc.weight": (1000, 2048), "fc.bias": (1000,)})
    converted = convert_weights({k: torch.empty(s, device="meta") for k, s in table.items()}, "pytorch_encoding_resnet")
    backbone = {k: v for k, v in meta_state().items() if k.startswith("backbone.")}
    assert {k: tuple(v.shape) for k, v in converted.items()} == backbone


def test_basic_stem_checkpoints_map_conv1_and_bn1_directly():
    state = {"pretrained.conv1.weight": torch.zeros(64, 3, 7, 7), "pretrained.bn1.bias": torch.zeros(64)}
    for name in ("pytorch_encoding_encnet", "fastfcn_encnet"):
        assert set(WEIGHT_CONVERTERS.get(name)(state)) == {"backbone.conv1.weight", "backbone.bn1.bias"}


def test_rename_keys_offsets_marked_indices():
    assert rename_keys({"a.3.w": 1}, [(r"a\.(\d)\.w", r"b.<\1>.w")]) == {"b.2.w": 1}


# sum(p.numel() for p in model.parameters()) of mmsegmentation 1.2.2's models with 150 classes; logits parity is
# measured outside the repository (README).
RECIPES = os.path.join(PROJECT, "configs", "ade20k")
MMSEG_PARAMS = {"encnet_R50-d8_512x512_80k_ade20k_mmseg.yaml": 36_060_034,
                "encnet_jpu_R50-d32_512x512_80k_ade20k_mmseg.yaml": 55_795_586}


def recipe_model(recipe, *opts):
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(RECIPES, recipe))
    cfg.merge_from_list(["MODEL.DEVICE", "meta", "MODEL.WEIGHTS", "", *opts])
    with torch.device("meta"):
        return build_model(cfg)


@pytest.mark.parametrize("recipe", sorted(MMSEG_PARAMS))
def test_mmseg_recipes_have_mmsegs_parameter_counts(recipe):
    assert sum(p.numel() for p in recipe_model(recipe).parameters()) == MMSEG_PARAMS[recipe]


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
    with pytest.raises(KeyError, match="ASPP head on the JPU; use mmseg_fastfcn_aspp"):
        WEIGHT_CONVERTERS.get("mmseg_fastfcn")({"decode_head.aspp_modules.0.conv.weight": torch.zeros(1)})
    with pytest.raises(KeyError, match="no JPU neck; use mmseg_encnet"):
        convert_weights({"state_dict": {"decode_head.conv_seg.weight": torch.zeros(1)}}, "mmseg_fastfcn")


def test_bottleneck_kernel_switch():
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(RECIPES, "encnet_jpu_R50-d32_512x512_80k_ade20k_mmseg.yaml"))
    cfg.merge_from_list(["MODEL.DEVICE", "meta", "MODEL.WEIGHTS", "", "MODEL.ENCNET.BOTTLENECK_KERNEL", "0"])
    with torch.device("meta"):
        assert build_model(cfg).decode_head.bottleneck[0].kernel_size == (1, 1)  # FastFCN's own
    cfg.MODEL.ENCNET.BOTTLENECK_KERNEL = 5
    with pytest.raises(ValueError, match="MODEL.ENCNET.BOTTLENECK_KERNEL must be 0"):
        with torch.device("meta"):
            build_model(cfg)
