"""Every project's mmsegmentation recipe trains with mmsegmentation's loss average: all pixels (CrossEntropyLoss,
avg_non_ignore=False, also behind OHEMPixelSampler), or the kept pixels' number for mmsegmentation's
OhemCrossEntropy (OHEMCrossEntropy with PER_IMAGE False: the real-time PIDNet and DDRNet recipes)."""
import glob
import os

import pytest

from seg_engine.config import get_cfg
from seg_engine.plugins import load_plugin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECTS = sorted(glob.glob(os.path.join(ROOT, "projects", "*", "")))
RECIPES = sorted(glob.glob(os.path.join(ROOT, "projects", "*", "configs", "**", "*_mmseg*.yaml"), recursive=True))
for project in PROJECTS:
    load_plugin(project)


def test_every_project_has_been_searched():
    assert RECIPES, "no *_mmseg*.yaml recipe found under projects/*/configs"


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: os.path.relpath(p, ROOT))
def test_mmseg_recipe_averages_over_all_pixels(path):
    cfg = get_cfg()
    cfg.merge_from_file(path)
    ohem_loss = list(cfg.MODEL.LOSS.NAMES) == ["OHEMCrossEntropy"] and not cfg.MODEL.LOSS.OHEM.PER_IMAGE
    assert cfg.MODEL.LOSS.AVERAGE == ("valid_pixels" if ohem_loss else "all")
