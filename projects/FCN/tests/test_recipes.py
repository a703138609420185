"""Every recipe loads (its keys exist, its bases resolve) and builds its model; the paper's solver."""
import glob
import os

import pytest

from seg_engine.plugins import load_plugin
from seg_engine.solver.lr_scheduler import build_lr_multiplier
from seg_engine.utils.testing import load_config

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

RECIPES = sorted(glob.glob(os.path.join(CONFIGS, "*", "*.yaml")))
NAMED_BY_THE_ISSUE = {
    "voc2012/fcn8s_vgg16_voc_paper.yaml", "voc2012/fcn16s_vgg16_voc_paper.yaml", "voc2012/fcn32s_vgg16_voc_paper.yaml",
    "ade20k/fcn32s_vgg19bn_ade20k_seed.yaml", "ade20k/fcn_R50-D8_512x512_80k_ade20k_mmseg.yaml",
    "voc2012/fcn_R50_torchvision.yaml",
}


def test_the_issues_recipes_exist():
    assert NAMED_BY_THE_ISSUE <= {os.path.relpath(p, CONFIGS) for p in RECIPES}


@pytest.mark.parametrize("stride, lr", [(32, 1e-10), (16, 1e-12), (8, 1e-14)])
def test_paper_solver(stride, lr):
    cfg = load_config(os.path.join(CONFIGS, "voc2012", f"fcn{stride}s_vgg16_voc_paper.yaml"))
    s = cfg.SOLVER
    assert (s.IMS_PER_BATCH, s.MOMENTUM, s.WEIGHT_DECAY, s.BASE_LR, s.MAX_ITER) == (1, 0.99, 5e-4, lr, 100_000)
    assert cfg.MODEL.LOSS.AVERAGE == "sum" and list(cfg.MODEL.PIXEL_STD) == [1.0, 1.0, 1.0]
    assert cfg.MODEL.FCN.STRIDE == stride and cfg.MODEL.VGG.FIRST_PADDING == 100
    multiplier = build_lr_multiplier(cfg)
    assert {multiplier(w) for w in (0.0, 0.3, 0.999)} == {1.0}, "Caffe's lr_policy fixed"


def test_at_once_and_seed_recipes():
    atonce = load_config(os.path.join(CONFIGS, "voc2012", "fcn8s_atonce_vgg16_voc_paper.yaml"))
    assert (atonce.MODEL.FCN.POOL4_SCALE, atonce.MODEL.FCN.POOL3_SCALE, atonce.SOLVER.MAX_ITER) == (0.01, 0.0001, 300_000)
    seed = load_config(os.path.join(CONFIGS, "ade20k", "fcn32s_vgg19bn_ade20k_seed.yaml"))
    assert seed.SOLVER.MAX_ITER == (20210 // 12) * 50 and seed.SOLVER.IMS_PER_BATCH == 12
    assert seed.INPUT.TRAIN.CROP_SIZE == (384, 384) and seed.MODEL.VGG.DEPTH == 19 and seed.MODEL.VGG.NORM == "BN"
