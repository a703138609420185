"""Mask2Former through tools/train_net.py on `shapes`: a few iterations, then --eval-only on the checkpoint."""
import os

import pytest

from seg_engine.utils.testing import tiny_schedule, train_then_eval_only

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(PROJECT, "configs", "shapes", "mask2former_r18_shapes.yaml")

TINY = [*tiny_schedule(max_iter=3, checkpoint_period=2), "MODEL.RESNETS.BASE_WIDTH", "8",
        "MODEL.MASK_FORMER.DEC_LAYERS", "2", "MODEL.MASK_FORMER.TRAIN_NUM_POINTS", "64",
        "MODEL.PIXEL_DECODER.ENCODER_LAYERS", "1"]


@pytest.mark.slow
def test_train_then_eval_only_gives_the_same_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    iters = train_then_eval_only(CONFIG, TINY, tmp_path, iterations=3, plugin=PROJECT)
    for row in iters:  # the 9 weighted losses of the 3 predictions are logged, and their sum
        assert {"loss_ce", "loss_mask", "loss_dice", "loss_ce_1", "loss_dice_0"} <= set(row)
        assert abs(row["total_loss"] - sum(v for k, v in row.items() if k.startswith("loss_"))) < 1e-3
