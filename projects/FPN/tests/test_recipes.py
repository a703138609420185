"""Every recipe of the project loads (its keys exist, its bases resolve) and builds a SemanticFPN;
the mmsegmentation recipes have its schedules."""
import glob
import os

import pytest

from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import load_config

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

# published.yaml holds the published numbers (seg_engine.model_zoo), not a recipe.
RECIPES = sorted(p for p in glob.glob(os.path.join(CONFIGS, "*.yaml")) + glob.glob(os.path.join(CONFIGS, "*", "*.yaml"))
                 if os.path.basename(p) != "published.yaml")


@pytest.mark.parametrize("recipe, classes, batch, iters, crop, scale", [
    ("ade20k/fpn_R50_512x512_160k_ade20k_mmseg.yaml", 150, 16, 160000, (512, 512), (2048, 512)),
    ("cityscapes/fpn_R50_512x1024_80k_cityscapes_mmseg.yaml", 19, 8, 80000, (512, 1024), (2048, 1024)),
])
def test_mmseg_schedules(recipe, classes, batch, iters, crop, scale):
    cfg = load_config(os.path.join(CONFIGS, recipe))
    assert (cfg.MODEL.NUM_CLASSES, cfg.SOLVER.IMS_PER_BATCH, cfg.SOLVER.MAX_ITER) == (classes, batch, iters)
    assert tuple(cfg.INPUT.TRAIN.CROP_SIZE) == crop and tuple(cfg.INPUT.TRAIN.SCALE) == tuple(cfg.INPUT.TEST.SCALE) == scale
    assert cfg.MODEL.WEIGHTS_FORMAT == "mmseg_resnet_v1c" and cfg.MODEL.RESNETS.STEM_WIDTH == 32
    assert (cfg.SOLVER.BASE_LR, cfg.SOLVER.MIN_LR, cfg.SOLVER.WEIGHT_DECAY) == (0.01, 1e-4, 5e-4)
    ms = load_config(os.path.join(CONFIGS, recipe.replace(".yaml", "_ms.yaml")))
    assert tuple(ms.TEST.SCALES) == (0.5, 0.75, 1.0, 1.25, 1.5, 1.75) and ms.TEST.FLIP
