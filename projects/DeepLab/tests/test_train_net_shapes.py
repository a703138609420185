"""DeepLabv3+ and DeepLabv3 through tools/train_net.py on `shapes`: a few iterations, then --eval-only on the
checkpoint (evaluated at the recipe's test output stride 8 after training at 16)."""
import os

import pytest

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(PROJECT, "configs", "shapes", "deeplabv3plus_R18_shapes.yaml")

TINY = [*tiny_schedule(max_iter=3, checkpoint_period=3),
        "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8",
        "MODEL.DEEPLAB.LOW_LEVEL_CHANNELS", "8"]
MODELS = {"DeepLabV3Plus": [], "DeepLabV3": ["MODEL.META_ARCHITECTURE", "DeepLabV3", "MODEL.HEAD.NAME", "ASPPHead"]}


@pytest.mark.parametrize("arch", MODELS)
def test_train_then_eval_only_gives_the_same_metrics(arch, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    iters = train_then_eval_only(CONFIG, [*TINY, *MODELS[arch]], tmp_path, iterations=3, plugin=PROJECT)
    assert all({"loss_sem_seg", "loss_aux"} <= set(r) for r in iters)
