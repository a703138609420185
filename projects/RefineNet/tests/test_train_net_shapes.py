"""RefineNet and Light-Weight RefineNet through tools/train_net.py on `shapes`: a few iterations, then
--eval-only on the written checkpoint gives the same metrics."""
import os

import pytest

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TINY = [*tiny_schedule(max_iter=3, checkpoint_period=2),
        "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "8", "MODEL.REFINENET.TOP_CHANNELS", "16"]


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["refinenet_R18_shapes.yaml", "rf_lw_R18_shapes.yaml"])
def test_train_then_eval_only_gives_the_same_metrics(recipe, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    iters = train_then_eval_only(os.path.join(PROJECT, "configs", "shapes", recipe), TINY, tmp_path, iterations=3,
                                 plugin=PROJECT)
    assert all(0 < r["total_loss"] < 10 for r in iters)  # one loss: its total (7 classes: ln 7 ~ 1.95 at start)
