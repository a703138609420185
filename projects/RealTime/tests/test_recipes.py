"""The published numbers and the trained-checkpoint rows name recipes that exist,
with converters that are registered; the Cityscapes schedules are mmsegmentation's; the zoo's backbone names and
the mmsegmentation config --compare-mmseg pairs with each recipe."""
import os
import re
import sys

import pytest
import yaml

from seg_engine.analysis.compare_mmseg import select_mmseg_model
from seg_engine.checkpoint import WEIGHT_CONVERTERS
from seg_engine.interop import backbone_name
from seg_engine.model_zoo import load_published, recipe_paths

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realtime_test_helpers import CONFIGS, PROJECT, make_cfg  # noqa: E402

RECIPES = [os.path.relpath(p, CONFIGS) for p in recipe_paths(PROJECT)]


def test_published_numbers_name_recipes_and_are_marked_published():
    published = load_published(os.path.join(CONFIGS, "published.yaml"))
    assert set(published) <= set(RECIPES)
    assert published["cityscapes/pidnet-s_1024x1024_120k_cityscapes_mmseg.yaml"].single_scale.miou == 78.74
    assert published["cityscapes/stdc1_512x1024_80k_cityscapes_mmseg_ms.yaml"].multi_scale.miou == 76.97


def test_trained_checkpoints_name_recipes_converters_and_hash_prefixes():
    with open(os.path.join(CONFIGS, "trained.yaml")) as f:
        rows = yaml.safe_load(f)
    assert len(rows) == 17
    for name, row in rows.items():
        assert row["recipe"] in RECIPES, name
        assert row["converter"] in WEIGHT_CONVERTERS, name
        assert row["url"].rsplit("-", 1)[1].startswith(row["sha256_prefix"]), name
        assert make_cfg(row["recipe"]).MODEL.BACKBONE.NAME.split("_")[1] in row["converter"] + "mobilenet_v3", name


@pytest.mark.parametrize("recipe, iterations, batch, lr", [
    ("cityscapes/pidnet-s_1024x1024_120k_cityscapes_mmseg.yaml", 120000, 12, 0.01),
    ("cityscapes/ddrnet-23-slim_1024x1024_120k_cityscapes_mmseg.yaml", 120000, 12, 0.01),
    ("cityscapes/bisenetv1_R18-in1k_1024x1024_160k-b32_cityscapes_mmseg.yaml", 160000, 32, 0.025),
    ("cityscapes/bisenetv2_1024x1024_160k-b32_cityscapes_mmseg.yaml", 160000, 32, 0.05),
    ("cityscapes/stdc1_512x1024_80k_cityscapes_mmseg.yaml", 80000, 48, 0.01),
    ("voc2012/lraspp_mobilenetv3-large_voc2012aug_torchvision.yaml", 10582 // 32 * 30, 32, 0.01),
])
def test_schedules_follow_the_references(recipe, iterations, batch, lr):
    cfg = make_cfg(recipe)
    assert (cfg.SOLVER.MAX_ITER, cfg.SOLVER.IMS_PER_BATCH, cfg.SOLVER.BASE_LR) == (iterations, batch, lr)


@pytest.mark.parametrize("recipe, name", [
    ("cityscapes/pidnet-l_1024x1024_120k_cityscapes_mmseg.yaml", "PIDNet-L"),
    ("cityscapes/ddrnet-23-slim_1024x1024_120k_cityscapes_mmseg.yaml", "DDRNet-23-slim"),
    ("cityscapes/bisenetv1_R18_1024x1024_160k_cityscapes_mmseg.yaml", "BiSeNetV1 (ResNet-18)"),
    ("cityscapes/stdc2_512x1024_80k_cityscapes_mmseg.yaml", "STDC2"),
    ("shapes/pidnet_shapes.yaml", "PIDNet (width 8)"),
    ("shapes/stdc_shapes.yaml", "STDC1 (widths 8, 16, 64, 128, 256)"),
])
def test_the_zoo_names_the_backbones(recipe, name):
    assert backbone_name(make_cfg(recipe)) == name


@pytest.mark.parametrize("recipe, converter, config", [
    ("cityscapes/pidnet-s_1024x1024_120k_cityscapes_mmseg.yaml", "mmseg_pidnet",
     "pidnet/pidnet-s_2xb6-120k_1024x1024-cityscapes.py"),
    ("cityscapes/pidnet-l_1024x1024_120k_cityscapes_mmseg.yaml", "mmseg_pidnet",
     "pidnet/pidnet-l_2xb6-120k_1024x1024-cityscapes.py"),
    ("cityscapes/ddrnet-23_1024x1024_120k_cityscapes_mmseg.yaml", "mmseg_ddrnet",
     "ddrnet/ddrnet_23_in1k-pre_2xb6-120k_cityscapes-1024x1024.py"),
    # no WEIGHTS_FORMAT: paired by the backbone, not by the FCNHead it shares with FCN
    ("cityscapes/bisenetv1_R18_1024x1024_160k_cityscapes_mmseg.yaml", "mmseg_bisenetv1",
     "bisenetv1/bisenetv1_r18-d32_4xb4-160k_cityscapes-1024x1024.py"),
    ("cityscapes/bisenetv2_1024x1024_160k_cityscapes_mmseg.yaml", "mmseg_bisenetv2",
     "bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py"),
    ("cityscapes/stdc2_512x1024_80k_cityscapes_mmseg.yaml", "mmseg_stdc", "stdc/stdc2_4xb12-80k_cityscapes-512x1024.py"),
])
def test_compare_mmseg_pairs_each_recipe_with_the_config_of_its_size(recipe, converter, config):
    assert select_mmseg_model(make_cfg(recipe)) == (converter, config)


@pytest.mark.parametrize("recipe, name", [("shapes/stdc_shapes.yaml", "STDC1 (widths 8, 16, 64, 128, 256)"),
                                          ("shapes/pidnet_shapes.yaml", "PIDNet (width 8)")])
def test_a_size_mmsegmentation_has_no_config_of_is_refused_by_name(recipe, name):
    with pytest.raises(ValueError, match=re.escape(f"no mmsegmentation config of {name} is known (its sizes: ")):
        select_mmseg_model(make_cfg(recipe))


def test_the_pairings_by_backbone_leave_fcn_recipes_to_fcn():
    cfg = make_cfg("cityscapes/bisenetv2_1024x1024_160k_cityscapes_mmseg.yaml")
    cfg.MODEL.BACKBONE.NAME = "build_resnet_backbone"
    assert select_mmseg_model(cfg)[0] == "mmseg_fcn"
    with pytest.raises(ValueError, match="no mmsegmentation model is known for MODEL.HEAD.NAME 'LRASPPHead'"):
        select_mmseg_model(make_cfg("voc2012/lraspp_mobilenetv3-large_voc2012aug_torchvision.yaml"))
