"""EncNet trains and evaluates end to end through tools/train_net.py with --plugin projects/EncNet."""
import json
import os

import pytest

from seg_engine.utils.testing import load_train_net

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(PROJECT, "configs", "shapes", "encnet_R18_shapes.yaml")
TINY = [
    "MODEL.DEVICE", "cpu", "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "3", "SOLVER.CHECKPOINT_PERIOD", "100",
    "SOLVER.WARMUP_ITERS", "0", "INPUT.TRAIN.CROP_SIZE", "(65, 65)", "DATALOADER.NUM_WORKERS", "0",
    "TEST.EVAL_PERIOD", "0", "LOG_PERIOD", "1", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16",
    "MODEL.AUX_HEAD.CHANNELS", "8", "MODEL.ENCNET.NUM_CODES", "4",
]


def run(args):
    train_net = load_train_net("train_net_encnet")
    return train_net.main(train_net.default_argument_parser().parse_args(args))


JPU = ["MODEL.RESNETS.OUTPUT_STRIDE", "32", "MODEL.NECK.NAME", "JPU", "MODEL.JPU.WIDTH", "8"]


@pytest.mark.slow
@pytest.mark.parametrize("extra", [[], JPU], ids=["encnet", "encnet_jpu"])
def test_train_then_eval_only(tmp_path, extra):
    out = str(tmp_path / "run")
    results = run(["--plugin", PROJECT, "--config-file", CONFIG, *TINY, *extra, "OUTPUT_DIR", out])
    assert 0 <= results["sem_seg"]["mIoU"] <= 100
    with open(os.path.join(out, "metrics.json")) as f:
        rows = [json.loads(line) for line in f]
    logged = [r for r in rows if "loss_se" in r]
    assert [r["iteration"] for r in logged] == [0, 1, 2]
    assert all(r["loss_se"] > 0 and r["loss_aux"] > 0 for r in logged)
    again = run(["--plugin", PROJECT, "--config-file", CONFIG, "--eval-only", *TINY, *extra,
                 "OUTPUT_DIR", str(tmp_path / "eval"), "MODEL.WEIGHTS", os.path.join(out, "model_final.pth")])
    assert again["sem_seg"] == pytest.approx(results["sem_seg"], nan_ok=True)
