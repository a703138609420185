"""SegFormer through tools/train_net.py on `shapes`: a few iterations, then --eval-only on the checkpoint."""
import os

import pytest

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(PROJECT, "configs", "shapes", "segformer_mit-tiny_shapes.yaml")

TINY = [*tiny_schedule(max_iter=4, checkpoint_period=2),
        "MODEL.MIT.EMBED_DIMS", "[8, 16, 40, 64]", "MODEL.HEAD.CHANNELS", "16"]


@pytest.mark.slow
def test_train_then_eval_only_gives_the_same_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    iters = train_then_eval_only(CONFIG, TINY, tmp_path, iterations=4, plugin=PROJECT)
    assert all(r["total_loss"] > 0 for r in iters)
