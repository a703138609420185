"""Every recipe of the project loads and builds an EncoderDecoder with the UPerNet head; the mmsegmentation
recipes have its schedules and optimizers."""
import glob
import os

import pytest

from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

RECIPES = sorted(p for p in glob.glob(os.path.join(CONFIGS, "**", "*.yaml"), recursive=True)
                 if os.path.basename(p) not in ("published.yaml", "trained.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: os.path.relpath(p, CONFIGS))
def test_recipe_builds(path):
    model = build_on_meta(load_config(path))
    assert type(model).__name__ == "EncoderDecoder" and type(model.decode_head).__name__ == "UPerNetHead"


@pytest.mark.parametrize("recipe, classes, batch, iters, crop", [
    ("ade20k/upernet_r50_512x512_80k_ade20k_mmseg.yaml", 150, 16, 80000, (512, 512)),
    ("ade20k/upernet_r101_512x512_160k_ade20k_mmseg.yaml", 150, 16, 160000, (512, 512)),
    ("cityscapes/upernet_r101_512x1024_80k_cityscapes_mmseg.yaml", 19, 8, 80000, (512, 1024)),
    ("ade20k/upernet_swin-b_512x512_160k_ade20k_mmseg.yaml", 150, 16, 160000, (512, 512)),
    ("ade20k/upernet_convnext-s_512x512_160k_ade20k_mmseg.yaml", 150, 16, 160000, (512, 512)),
])
def test_mmseg_schedules(recipe, classes, batch, iters, crop):
    cfg = load_config(os.path.join(CONFIGS, recipe))
    assert (cfg.MODEL.NUM_CLASSES, cfg.SOLVER.IMS_PER_BATCH, cfg.SOLVER.MAX_ITER, tuple(cfg.INPUT.TRAIN.CROP_SIZE)) == (
        classes, batch, iters, crop)
    ms = load_config(os.path.join(CONFIGS, recipe.replace(".yaml", "_ms.yaml")))
    assert tuple(ms.TEST.SCALES) == (0.5, 0.75, 1.0, 1.25, 1.5, 1.75) and ms.TEST.FLIP


def test_backbone_sizes_and_optimizers():
    r101 = load_config(os.path.join(CONFIGS, "ade20k/upernet_r101_512x512_80k_ade20k_mmseg.yaml"))
    assert r101.MODEL.RESNETS.DEPTH == 101 and r101.MODEL.WEIGHTS.endswith("resnet101_v1c-e67eebb6.pth")
    assert (r101.SOLVER.OPTIMIZER, r101.SOLVER.BASE_LR, r101.SOLVER.WEIGHT_DECAY) == ("SGD", 0.01, 5e-4)
    swin_s = load_config(os.path.join(CONFIGS, "ade20k/upernet_swin-s_512x512_160k_ade20k_mmseg.yaml"))
    assert list(swin_s.MODEL.SWIN.DEPTHS) == [2, 2, 18, 2] and swin_s.MODEL.SWIN.EMBED_DIM == 96
    assert (swin_s.SOLVER.OPTIMIZER, swin_s.SOLVER.BASE_LR, swin_s.SOLVER.WEIGHT_DECAY) == ("AdamW", 6e-5, 0.01)
    assert list(swin_s.SOLVER.NO_DECAY_KEYS) == ["absolute_pos_embed", "relative_position_bias_table", "norm"]
    convnext_b = load_config(os.path.join(CONFIGS, "ade20k/upernet_convnext-b_512x512_160k_ade20k_mmseg.yaml"))
    assert list(convnext_b.MODEL.CONVNEXT.DIMS) == [128, 256, 512, 1024] and convnext_b.MODEL.CONVNEXT.DROP_PATH_RATE == 0.4
    assert (convnext_b.SOLVER.LR_DECAY.TYPE, convnext_b.SOLVER.LR_DECAY.RATE, convnext_b.SOLVER.LR_DECAY.NUM_LAYERS) == ("stage_wise", 0.9, 12)
    assert convnext_b.SOLVER.AMP.ENABLED and convnext_b.TEST.MODE == "slide"
