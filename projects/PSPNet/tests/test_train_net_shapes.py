"""PSPNet through tools/train_net.py on `shapes`: a few iterations, then --eval-only on the checkpoint."""
import os

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(PROJECT, "configs", "shapes", "pspnet_R18_shapes.yaml")

TINY = [*tiny_schedule(max_iter=4, checkpoint_period=2),
        "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8"]


def test_train_then_eval_only_gives_the_same_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    iters = train_then_eval_only(CONFIG, TINY, tmp_path, iterations=4, plugin=PROJECT)
    assert all({"loss_sem_seg", "loss_aux"} <= set(r) for r in iters)
