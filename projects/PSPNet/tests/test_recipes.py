"""Every recipe of the project loads (its keys exist, its bases resolve) and builds the model it names."""
import glob
import math
import os

import pytest

from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import load_config

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

RECIPES = sorted(glob.glob(os.path.join(CONFIGS, "*", "*.yaml")))


def authors_iterations(images, epochs, gpus=8, per_gpu=2):
    """hszhao/semseg: DistributedSampler pads to ceil(images / gpus) per GPU; the loader drops the last batch."""
    return epochs * (math.ceil(images / gpus) // per_gpu)


@pytest.mark.parametrize("recipe, images, epochs", [
    ("ade20k/pspnet_R50_ade20k_semseg.yaml", 20210, 100),
    ("cityscapes/pspnet_R50_cityscapes_semseg.yaml", 2975, 200),
    ("voc2012/pspnet_R50_voc2012aug_semseg.yaml", 10582, 50),
])
def test_authors_epochs_in_iterations(recipe, images, epochs):
    cfg = load_config(os.path.join(CONFIGS, recipe))
    assert cfg.SOLVER.MAX_ITER == authors_iterations(images, epochs)
    assert cfg.SOLVER.IMS_PER_BATCH == 16
    assert cfg.TEST.STRIDE[0] == math.ceil(cfg.TEST.CROP_SIZE[0] * 2 / 3)
