"""The authors' schedules and backbones, with the parameter counts of the networks (the authors' counts for R50 and
Swin-T are pinned in the converter tests; that every recipe builds is tests/model_zoo/test_recipes.py)."""
import os

import pytest

from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, num_params

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

@pytest.mark.parametrize("recipe, classes, iters, crop, scale, parameters", [
    ("ade20k/mask2former_r50_512x512_160k_ade20k_d2.yaml", 150, 160000, (512, 512), (2048, 512), 43_988_247),
    ("ade20k/mask2former_r101_512x512_160k_ade20k_d2.yaml", 150, 160000, (512, 512), (2048, 512), 63_033_495),
    ("ade20k/mask2former_swin-s_512x512_160k_ade20k_d2.yaml", 150, 160000, (512, 512), (2048, 512), 68_757_537),
    ("ade20k/mask2former_swin-l-in21k_640x640_160k_ade20k_d2.yaml", 150, 160000, (640, 640), (2560, 640), 215_488_779),
    ("cityscapes/mask2former_r50_512x1024_90k_cityscapes_d2.yaml", 19, 90000, (512, 1024), (2048, 1024), 44_007_700),
])
def test_the_authors_schedules(recipe, classes, iters, crop, scale, parameters):
    cfg = load_config(os.path.join(CONFIGS, recipe))
    assert (cfg.MODEL.NUM_CLASSES, cfg.SOLVER.IMS_PER_BATCH, cfg.SOLVER.MAX_ITER) == (classes, 16, iters)
    assert tuple(cfg.INPUT.TRAIN.CROP_SIZE) == crop and tuple(cfg.INPUT.TEST.SCALE) == scale
    assert cfg.SOLVER.OPTIMIZER == "AdamW" and cfg.SOLVER.WEIGHT_DECAY == 0.05
    # the authors' 1e-4 with the backbone at 0.1x
    assert cfg.SOLVER.BASE_LR == pytest.approx(1e-5) and cfg.SOLVER.BASE_LR * cfg.SOLVER.HEAD_LR_MULTIPLIER == pytest.approx(1e-4)
    assert (cfg.MODEL.MASK_FORMER.NUM_QUERIES, cfg.MODEL.MASK_FORMER.DEC_LAYERS, cfg.MODEL.PIXEL_DECODER.ENCODER_LAYERS) == (100, 9, 6)
    assert num_params(build_on_meta(cfg)) == parameters


def test_trained_checkpoints_name_existing_recipes_their_converters_and_published_numbers():
    import yaml

    from seg_engine.model_zoo import load_published

    with open(os.path.join(CONFIGS, "trained.yaml")) as f:
        trained = yaml.safe_load(f)
    published = load_published(os.path.join(CONFIGS, "published.yaml"))
    assert len(trained) == 17
    for name, entry in trained.items():
        cfg = load_config(os.path.join(CONFIGS, entry["recipe"]))
        if entry["converter"] == "mmseg_mask2former":
            assert cfg.MODEL.WEIGHTS_FORMAT == "mmseg_mask2former" and entry["url"].endswith(".pth"), name
        else:
            layout = "d2_mask2former_swin" if cfg.MODEL.BACKBONE.NAME == "build_swin_backbone" else "d2_mask2former"
            assert entry["converter"] == layout and entry["url"].endswith(".pkl"), name
            assert "CC BY-NC 4.0" in entry["licence"]
        assert published[entry["recipe"]].single_scale.miou == entry["published_mIoU"], name
