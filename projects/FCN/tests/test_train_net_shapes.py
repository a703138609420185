"""Each FCN model through tools/train_net.py on `shapes`: a few iterations, then --eval-only on the checkpoint."""
import os

import pytest

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = os.path.join(PROJECT, "configs", "shapes")

COMMON = [*tiny_schedule(max_iter=3, checkpoint_period=3, crop=(41, 41)), "MODEL.DEVICE", "cpu"]
RECIPES = {  # recipe: (narrowing overrides, losses)
    "fcn8s_vgg16_shapes.yaml": (["MODEL.VGG.BASE_WIDTH", "4", "MODEL.VGG.FC_CHANNELS", "16"], set()),  # one loss: total_loss only
    "fcn32s_vgg19bn_shapes.yaml": (["MODEL.VGG.BASE_WIDTH", "4", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "16"],
                                   {"loss_sem_seg", "loss_aux"}),
    "fcn_R18-D8_shapes.yaml": (["MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.RESNETS.STEM_WIDTH", "4", "MODEL.HEAD.CHANNELS", "16",
                                "MODEL.AUX_HEAD.CHANNELS", "8"], {"loss_sem_seg", "loss_aux"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("recipe", list(RECIPES))
def test_train_then_eval_only_gives_the_same_metrics(recipe, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    narrow, losses = RECIPES[recipe]
    iters = train_then_eval_only(os.path.join(SHAPES, recipe), [*COMMON, *narrow], tmp_path, iterations=3, plugin=PROJECT)
    assert all(losses <= set(r) for r in iters)
