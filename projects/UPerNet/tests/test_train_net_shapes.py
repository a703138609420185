"""UPerNet through tools/train_net.py on `shapes` (ResNet-18 and Swin): a few iterations, then --eval-only."""
import os

import pytest

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = os.path.join(PROJECT, "configs", "shapes")

TINY = {
    "upernet_R18_shapes.yaml": ["MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8"],
    "upernet_swin_shapes.yaml": ["MODEL.SWIN.EMBED_DIM", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8"],
}


@pytest.mark.parametrize("recipe", [
    "upernet_R18_shapes.yaml",
    pytest.param("upernet_swin_shapes.yaml", marks=pytest.mark.slow),  # the Swin path is covered fast elsewhere
])
def test_train_then_eval_only_gives_the_same_metrics(recipe, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    opts = [*tiny_schedule(max_iter=3, checkpoint_period=3), *TINY[recipe]]
    iters = train_then_eval_only(os.path.join(SHAPES, recipe), opts, tmp_path, iterations=3, plugin=PROJECT)
    assert all({"loss_sem_seg", "loss_aux"} <= set(r) for r in iters)
