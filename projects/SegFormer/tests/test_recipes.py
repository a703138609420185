"""Every recipe builds the model its reference builds (parameter counts of transformers 5.25 / the authors'
form, and of mmsegmentation 1.2.2, counted from the reference models) and sets that reference's schedule and
test protocol."""
import glob
import os
import re

import pytest

from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, num_params

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

RECIPES = sorted(glob.glob(os.path.join(CONFIGS, "*", "*.yaml")))
NAME = re.compile(r"segformer_mit-(b[0-5])_(\d+)x(\d+)_160k_(ade20k|cityscapes)_(nvlabs|mmseg)(_aligned)?\.yaml")
# sum(p.numel()) of SegformerForSemanticSegmentation (the authors' and smp's head too; the authors' files add an
# unused 128-channel conv_seg) and of mmsegmentation's segformer_mit-b*, at (150, 19) classes.
PARAMS = {
    "nvlabs": {"b0": (3_752_694, 3_719_027), "b1": (13_715_798, 13_682_131), "b2": (27_461_974, 27_361_235),
               "b3": (47_337_814, 47_237_075), "b4": (64_108_374, 64_007_635), "b5": (84_708_694, 84_607_955)},
    "mmseg": {"b0": (3_753_718, 3_720_051), "b1": (13_716_822, 13_683_155), "b2": (24_761_686, 24_728_019),
              "b3": (44_637_526, 44_603_859), "b4": (61_408_086, 61_374_419), "b5": (82_008_406, 81_974_739)},
}
MIT_PARAMS = {"b0": 3_319_392, "b1": 13_151_424, "b2": 24_196_288, "b3": 44_072_128, "b4": 60_842_688, "b5": 81_443_008}


def test_every_training_recipe_is_named_by_the_convention():
    names = [os.path.basename(p) for p in RECIPES if "/shapes/" not in p]
    assert len(names) == 33 and all(NAME.fullmatch(n) for n in names), [n for n in names if not NAME.fullmatch(n)]


@pytest.mark.parametrize("path", [p for p in RECIPES if "/shapes/" not in p], ids=lambda p: os.path.relpath(p, CONFIGS))
def test_recipe_builds_the_reference_model_and_schedule(path):
    variant, crop, _, dataset, form, aligned = NAME.fullmatch(os.path.basename(path)).groups()
    cfg = load_config(path)
    model = build_on_meta(cfg)
    cityscapes = dataset == "cityscapes"
    assert num_params(model) == PARAMS[form][variant][cityscapes]
    assert num_params(model.backbone) == MIT_PARAMS[variant]
    assert cfg.MODEL.SEGFORMER.HEAD_FORM == form and cfg.MODEL.NUM_CLASSES == (19 if cityscapes else 150)
    # both forms start from mmsegmentation's ImageNet MiT file of the variant (the authors' own files: Google Drive only)
    assert cfg.MODEL.WEIGHTS_FORMAT == "mmseg_mit" and f"/pretrain/segformer/mit_{variant}_20220624-" in cfg.MODEL.WEIGHTS
    s = cfg.SOLVER
    assert (s.OPTIMIZER, s.BASE_LR, s.WEIGHT_DECAY, s.HEAD_LR_MULTIPLIER, s.WEIGHT_DECAY_NORM) == ("AdamW", 6e-5, 0.01, 10.0, 0.0)
    assert (s.LR_SCHEDULER_NAME, s.POLY_POWER, s.MIN_LR, s.WARMUP_ITERS, s.WARMUP_FACTOR) == ("poly", 1.0, 0.0, 1500, 1e-6)
    assert (s.MAX_ITER, s.IMS_PER_BATCH) == (160_000, 8 if cityscapes else 16)
    assert tuple(cfg.INPUT.TRAIN.CROP_SIZE) == (int(crop), int(crop)) and cfg.INPUT.TRAIN.PHOTOMETRIC
    assert tuple(cfg.INPUT.TRAIN.SCALE) == ((2048, 1024) if cityscapes else (2048, int(crop))) == tuple(cfg.INPUT.TEST.SCALE)
    if cityscapes:
        assert (cfg.TEST.MODE, tuple(cfg.TEST.CROP_SIZE), tuple(cfg.TEST.STRIDE)) == ("slide", (1024, 1024), (768, 768))
        assert cfg.INPUT.TEST.RESIZE_MODE == "scale"
    else:
        assert cfg.TEST.MODE == "whole"
        # the authors test ADE20K with AlignedResize, mmsegmentation with Resize (and the _aligned variants)
        assert cfg.INPUT.TEST.RESIZE_MODE == ("aligned_scale" if form == "nvlabs" or aligned else "scale")


def test_shapes_recipe_builds():
    (path,) = glob.glob(os.path.join(CONFIGS, "shapes", "*.yaml"))
    model = build_on_meta(load_config(path))
    assert type(model.backbone).__name__ == "MixVisionTransformer" and num_params(model) == 518_135


def test_trained_checkpoints_name_an_existing_recipe_of_their_form_and_a_registered_converter():
    import yaml

    from seg_engine.checkpoint import WEIGHT_CONVERTERS

    with open(os.path.join(CONFIGS, "trained.yaml")) as f:
        rows = yaml.safe_load(f)
    assert len(rows) == 25
    for name, row in rows.items():
        assert os.path.isfile(os.path.join(CONFIGS, row["recipe"])), name
        assert row["converter"] in WEIGHT_CONVERTERS, name
        form = NAME.fullmatch(os.path.basename(row["recipe"])).group(5)
        assert (form, row["converter"]) in {("mmseg", "mmseg_segformer"), ("nvlabs", "hf_segformer")}, name
        assert row["url"].startswith("https://") and "non-commercial" in row["licence"], name
        if row["converter"] == "mmseg_segformer":
            assert row["url"].endswith(f"-{row['sha256_prefix']}.pth"), name
