"""DeepLabv3+, DeepLabv3 and DeepLabv3 on the JPU neck through tools/train_net.py on `shapes`: a few iterations,
then --eval-only on the checkpoint (evaluated at the recipe's test output stride 8 after training at 16; the
JPU model at its own stride 8)."""
import os

import pytest

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(PROJECT, "configs", "shapes", "deeplabv3plus_R18_shapes.yaml")

TINY = [*tiny_schedule(max_iter=3, checkpoint_period=3),
        "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8",
        "MODEL.DEEPLAB.LOW_LEVEL_CHANNELS", "8"]
V3 = ["MODEL.META_ARCHITECTURE", "DeepLabV3", "MODEL.HEAD.NAME", "ASPPHead"]
# FastFCN: an output-stride-32 backbone (dilated as mmseg's), the JPU at res3's stride 8, no test-time stride switch.
JPU = ["MODEL.RESNETS.OUTPUT_STRIDE", "32", "MODEL.RESNETS.DILATIONS", "[1, 1, 2, 4]", "MODEL.RESNETS.MULTI_GRID", "()",
       "MODEL.RESNETS.OUT_FEATURES", '["res3", "res4", "res5"]', "MODEL.NECK.NAME", "JPU",
       "MODEL.JPU.WIDTH", "8", "MODEL.DEEPLAB.TEST_OUTPUT_STRIDE", "0"]
MODELS = {"DeepLabV3Plus": [], "DeepLabV3": V3, "DeepLabV3_JPU": [*V3, *JPU]}


@pytest.mark.slow
@pytest.mark.parametrize("arch", MODELS)
def test_train_then_eval_only_gives_the_same_metrics(arch, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    iters = train_then_eval_only(CONFIG, [*TINY, *MODELS[arch]], tmp_path, iterations=3, plugin=PROJECT)
    assert all({"loss_sem_seg", "loss_aux"} <= set(r) for r in iters)
