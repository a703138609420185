"""Each model through tools/train_net.py on `shapes`: a few iterations at an odd crop, then --eval-only."""
import os

import pytest

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COMMON = [*tiny_schedule(max_iter=3, checkpoint_period=3, crop=(33, 49)), "MODEL.DEVICE", "cpu"]
RECIPES = {
    "unet_shapes.yaml": (["MODEL.UNET_ENCODER.WIDTHS", "[4, 8, 8, 16, 16]"], {"total_loss"}),
    "unetplusplus_R18_shapes.yaml": (["MODEL.RESNETS.BASE_WIDTH", "4", "MODEL.UNET.DECODER_CHANNELS", "[16, 8, 8, 4, 4]"],
                                     {"loss_ds1", "loss_ds2", "loss_ds3", "loss_ds4"}),
    "linknet_R18_shapes.yaml": (["MODEL.RESNETS.BASE_WIDTH", "4", "MODEL.HEAD.CHANNELS", "4"], {"total_loss"}),
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("shapes_cache"))


# UNet runs in the default suite; UNet++ and LinkNet take as long again each (run them with -m slow).
@pytest.mark.parametrize("recipe", [
    "unet_shapes.yaml",
    pytest.param("unetplusplus_R18_shapes.yaml", marks=pytest.mark.slow),
    pytest.param("linknet_R18_shapes.yaml", marks=pytest.mark.slow),
])
@pytest.mark.slow
def test_train_then_eval_only_gives_the_same_metrics(recipe, cache, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", cache)
    tiny, losses = RECIPES[recipe]
    iters = train_then_eval_only(os.path.join(PROJECT, "configs", "shapes", recipe), [*COMMON, *tiny], tmp_path,
                                 iterations=3, plugin=os.path.join(PROJECT, "unet"))
    assert all(losses <= set(r) for r in iters)
