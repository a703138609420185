"""Every recipe of the project loads (its keys exist, its bases resolve) and builds the model it names."""
import glob
import os

import pytest

from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import load_config

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

RECIPES = sorted(glob.glob(os.path.join(CONFIGS, "*", "*.yaml")))
IMAGENET_MEAN_0_255 = [0.485 * 255, 0.456 * 255, 0.406 * 255]
IMAGENET_STD_0_255 = [0.229 * 255, 0.224 * 255, 0.225 * 255]


def test_the_issues_recipes_exist():
    names = {os.path.relpath(p, CONFIGS) for p in RECIPES}
    assert {"voc2012/refinenet_R101_voc2012.yaml", "ade20k/refinenet_R101_ade20k.yaml",
            "voc2012/rf_lw101_voc2012.yaml", "shapes/refinenet_R18_shapes.yaml",
            "shapes/rf_lw_R18_shapes.yaml"} <= names


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: os.path.relpath(p, CONFIGS))
def test_recipes_normalize_as_drsleep(path):
    cfg = load_config(path)
    # DrSleep's models take (rgb / 255 - mean) / std with ImageNet's statistics.
    assert cfg.MODEL.PIXEL_MEAN == pytest.approx(IMAGENET_MEAN_0_255)
    assert cfg.MODEL.PIXEL_STD == pytest.approx(IMAGENET_STD_0_255)


def test_voc_recipe_steps_at_epoch_70_of_the_1464_training_images():
    cfg = load_config(os.path.join(CONFIGS, "voc2012", "refinenet_R101_voc2012.yaml"))
    assert cfg.SOLVER.IMS_PER_BATCH == 1 and tuple(cfg.SOLVER.STEPS) == (1464 * 70,)
    assert cfg.SOLVER.BASE_LR == 5e-4 and cfg.SOLVER.BASE_LR * cfg.SOLVER.GAMMA == pytest.approx(5e-5)
    assert cfg.SOLVER.MAX_ITER == 1464 * 100


def test_light_weight_recipe_stages_are_100_epochs_of_train_aug():
    cfg = load_config(os.path.join(CONFIGS, "voc2012", "rf_lw101_voc2012.yaml"))
    per_epoch = -(-10582 // 6)
    assert tuple(cfg.SOLVER.STEPS) == (100 * per_epoch, 200 * per_epoch)
    assert cfg.SOLVER.MAX_ITER == 300 * per_epoch
