"""SegNet through tools/train_net.py on `shapes`: a few iterations, then --eval-only on the checkpoint."""
import json
import os

import pytest

from seg_engine.utils.testing import load_train_net

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
CONFIG = os.path.join(PROJECT, "configs", "shapes", "segnet_vgg16bn_shapes.yaml")

TINY = [
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "4", "SOLVER.CHECKPOINT_PERIOD", "2", "SOLVER.WARMUP_ITERS", "0",
    "INPUT.TRAIN.CROP_SIZE", "(65, 65)", "DATALOADER.NUM_WORKERS", "0", "TEST.EVAL_PERIOD", "0", "LOG_PERIOD", "1",
    "MODEL.VGG.BASE_WIDTH", "4", "TEST.IMS_PER_BATCH", "20",
    # Evaluate at 49x49 (odd, so the unpooling sizes are exercised here too), predictions resized back.
    "INPUT.TEST.RESIZE_MODE", "long_side", "INPUT.TEST.LONG_SIDE", "49",
]


def run(args):
    train_net = load_train_net("train_net_segnet")
    return train_net.main(train_net.default_argument_parser().parse_args(["--plugin", PROJECT, *args]))


@pytest.mark.slow
def test_train_then_eval_only_gives_the_same_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    out = str(tmp_path / "train")
    results = run(["--config-file", CONFIG, *TINY, "OUTPUT_DIR", out])
    assert {"model_final.pth", "metrics.json", "config.yaml"} <= set(os.listdir(out))
    with open(os.path.join(out, "metrics.json")) as f:
        rows = [json.loads(line) for line in f]
    iters = [r for r in rows if "total_loss" in r]
    assert [r["iteration"] for r in iters] == [0, 1, 2, 3]
    assert all(r["total_loss"] > 0 and "loss_aux" not in r for r in iters)  # one loss: logged as total_loss
    assert 0 <= results["sem_seg"]["mIoU"] <= 100

    again = run(["--config-file", CONFIG, "--eval-only", *TINY, "OUTPUT_DIR", str(tmp_path / "eval"),
                 "MODEL.WEIGHTS", os.path.join(out, "model_final.pth")])
    assert again["sem_seg"] == pytest.approx(results["sem_seg"], nan_ok=True)
