"""The mmsegmentation recipes have its schedules, optimizers and ImageNet starts (that every recipe builds is
tests/model_zoo/test_recipes.py)."""
import os

import pytest

from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import load_config

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))


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
    assert r101.MODEL.RESNETS.DEPTH == 101 and r101.MODEL.WEIGHTS == "open-mmlab://resnet101_v1c"
    assert (r101.SOLVER.OPTIMIZER, r101.SOLVER.BASE_LR, r101.SOLVER.WEIGHT_DECAY) == ("SGD", 0.01, 5e-4)
    swin_s = load_config(os.path.join(CONFIGS, "ade20k/upernet_swin-s_512x512_160k_ade20k_mmseg.yaml"))
    assert list(swin_s.MODEL.SWIN.DEPTHS) == [2, 2, 18, 2] and swin_s.MODEL.SWIN.EMBED_DIM == 96
    assert (swin_s.SOLVER.OPTIMIZER, swin_s.SOLVER.BASE_LR, swin_s.SOLVER.WEIGHT_DECAY) == ("AdamW", 6e-5, 0.01)
    assert list(swin_s.SOLVER.NO_DECAY_KEYS) == ["absolute_pos_embed", "relative_position_bias_table", "norm"]
    assert swin_s.MODEL.WEIGHTS.endswith("/pretrain/swin/swin_small_patch4_window7_224_20220317-7ba6d6dd.pth")
    assert swin_s.MODEL.WEIGHTS_FORMAT == "mmseg_swin_imagenet"
    convnext_b = load_config(os.path.join(CONFIGS, "ade20k/upernet_convnext-b_512x512_160k_ade20k_mmseg.yaml"))
    assert list(convnext_b.MODEL.CONVNEXT.DIMS) == [128, 256, 512, 1024] and convnext_b.MODEL.CONVNEXT.DROP_PATH_RATE == 0.4
    assert (convnext_b.SOLVER.LR_DECAY.TYPE, convnext_b.SOLVER.LR_DECAY.RATE, convnext_b.SOLVER.LR_DECAY.NUM_LAYERS) == ("stage_wise", 0.9, 12)
    assert convnext_b.SOLVER.AMP.ENABLED and convnext_b.TEST.MODE == "slide"
    assert convnext_b.MODEL.WEIGHTS.endswith("/convnext-base_3rdparty_32xb128-noema_in1k_20220301-2a0ee547.pth")
    assert convnext_b.MODEL.WEIGHTS_FORMAT == "mmpretrain_convnext_imagenet"
