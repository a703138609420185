"""The key tables the generic layout test does not read (PIDNet-L, STDC2: listed from the reference models outside
the repo) map once onto keys of this project's model with the same shape; ImageNet backbone files load into the
backbone."""
import os
import sys

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.utils.testing import map_key_table, read_key_table, state_shapes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realtime_test_helpers import DATA, build  # noqa: E402

PIDNET_L = ["MODEL.PIDNET.CHANNELS", 64, "MODEL.PIDNET.PPM_CHANNELS", 112, "MODEL.PIDNET.NUM_STEM_BLOCKS", 3,
            "MODEL.PIDNET.NUM_BRANCH_BLOCKS", 4, "MODEL.HEAD.CHANNELS", 256, "MODEL.AUX_HEAD.CHANNELS", 256,
            "MODEL.AUX_HEAD2.CHANNELS", 64]
# The layouts' own tables are checked by tests/checkpoint/test_layouts.py; these are the second tables of two
# layouts (PIDNet-L, STDC2): converter -> (table, recipe, overrides, number of reference keys, reference keys
# without a tensor here, spot checks)
CASES = {
    "mmseg_pidnet (L)": ("mmseg_pidnet-l_keys.txt", "Base-PIDNet-mmseg.yaml", PIDNET_L, 543, 0, {
        "backbone.dfm.conv.2.weight": "backbone.dfm.conv.conv.weight",
        "backbone.spp.processes.3.0.weight": "backbone.spp.processes.3.bn.weight"}),
    "mmseg_stdc (STDC2)": ("mmseg_stdc2_keys.txt", "Base-STDC-mmseg.yaml", ["MODEL.STDC.TYPE", "STDCNet2"], 402, 2, {
        "backbone.stdc.stages.3.4.layers.0.0.weight": "backbone.backbone.stages.3.4.layers.0.conv.weight"}),
}


def converter_name(case):
    return case.split()[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_reference_key_maps_once_onto_a_key_of_the_same_shape(case):
    table, recipe, opts, count, constants, spots = CASES[case]
    ref = read_key_table(os.path.join(DATA, table))
    assert len(ref) == count
    ours = state_shapes(build(recipe, *opts, device="meta"))
    source = map_key_table(ref, converter_name(case), ours, wrap=lambda state: {"state_dict": state})
    assert len(set(ref) - set(source.values())) == constants
    for ours_key, theirs in spots.items():
        assert source[ours_key] == theirs


@pytest.mark.parametrize("converter, table, prefix", [
    ("mmseg_pidnet", "mmseg_pidnet_keys.txt", "backbone."),
    ("mmseg_ddrnet", "mmseg_ddrnet_keys.txt", "backbone."),
    ("mmseg_stdc", "mmseg_stdc_keys.txt", "backbone.backbone."),
])
def test_imagenet_backbones_load_into_the_backbone(converter, table, prefix):
    """mmseg's ImageNet inits hold the backbone module's own keys (PIDNet, DDRNet) or the STDCNet's."""
    ref = read_key_table(os.path.join(DATA, table))
    backbone_only = {k[len(prefix):]: torch.empty(s, device="meta") for k, s in ref.items() if k.startswith(prefix)}
    converted = convert_weights(backbone_only, converter)
    assert len(converted) == len(backbone_only)
    assert all(k.startswith("backbone.") for k in converted)
    full = convert_weights({k: torch.empty(s, device="meta") for k, s in ref.items()}, converter)
    assert set(converted) <= set(full)


def test_bisenetv1_imagenet_resnet_gives_layer1_to_4_and_drops_the_deep_stem():
    """mmseg loads open-mmlab://resnet18_v1c into its 7x7-stem ResNet: the stem does not fit and stays random."""
    state = {"stem.0.weight": torch.zeros(32, 3, 3, 3), "stem.1.weight": torch.zeros(32),
             "layer1.0.conv1.weight": torch.zeros(64, 64, 3, 3), "layer4.1.bn2.bias": torch.zeros(512),
             "fc.weight": torch.zeros(1000, 512)}
    assert sorted(convert_weights(state, "mmseg_bisenetv1")) == ["backbone.resnet.layer1.0.conv1.weight",
                                                                 "backbone.resnet.layer4.1.bn2.bias"]
