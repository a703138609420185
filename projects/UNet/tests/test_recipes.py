"""Every recipe of the project loads (its keys exist, its bases resolve) and builds the model it names."""
import glob
import os
import sys



sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_test_helpers import CONFIGS, make_cfg  # noqa: E402

RECIPES = sorted(os.path.relpath(p, CONFIGS) for p in glob.glob(os.path.join(CONFIGS, "*", "*.yaml")))


def test_the_issues_recipe_names_exist():
    assert {"cityscapes/unet_s5-d16_512x1024_160k_cityscapes_mmseg.yaml", "folder/unet_paper_binary.yaml",
            "ade20k/unetplusplus_R34_ade20k.yaml", "camvid/linknet_R18_camvid_paper.yaml", "shapes/unet_shapes.yaml",
            "shapes/unetplusplus_R18_shapes.yaml", "shapes/linknet_R18_shapes.yaml"} <= set(RECIPES)


def test_camvid_recipe_has_the_authors_settings():
    cfg = make_cfg("camvid/linknet_R18_camvid_paper.yaml")
    assert tuple(cfg.INPUT.TRAIN.CROP_SIZE) == (576, 768)
    assert (cfg.SOLVER.IMS_PER_BATCH, cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY) == (8, 5e-4, 2e-4)
    assert cfg.DATASETS.TRAIN == ("camvid_train",) and cfg.DATASETS.TEST == ("camvid_val",)
    assert cfg.SOLVER.MAX_ITER == 300 * -(-367 // 8)


def test_binary_folder_recipe_is_the_papers_network():
    cfg = make_cfg("folder/unet_paper_binary.yaml")
    assert (cfg.MODEL.UNET.PADDING, cfg.MODEL.UNET.NORM, cfg.MODEL.NUM_CLASSES) == ("valid", "", 2)
    assert list(cfg.DATASETS.FOLDER.CLASSES) == ["background", "foreground"] and cfg.DATASETS.TRAIN == ("binary_train",)
