"""DeepLabv3+ and DeepLabv3 through tools/train_net.py on `shapes`: a few iterations, then --eval-only on the
checkpoint (evaluated at the recipe's test output stride 8 after training at 16)."""
import importlib.util
import json
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(PROJECT))
CONFIG = os.path.join(PROJECT, "configs", "shapes", "deeplabv3plus_R18_shapes.yaml")

TINY = [
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "3", "SOLVER.CHECKPOINT_PERIOD", "3", "SOLVER.WARMUP_ITERS", "0",
    "INPUT.TRAIN.CROP_SIZE", "(65, 65)", "DATALOADER.NUM_WORKERS", "0", "TEST.EVAL_PERIOD", "0", "LOG_PERIOD", "1",
    "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "8",
    "MODEL.DEEPLAB.LOW_LEVEL_CHANNELS", "8", "TEST.IMS_PER_BATCH", "20",
]
MODELS = {"DeepLabV3Plus": [], "DeepLabV3": ["MODEL.META_ARCHITECTURE", "DeepLabV3", "MODEL.HEAD.NAME", "ASPPHead"]}


def run(args):
    spec = importlib.util.spec_from_file_location("train_net_deeplab", os.path.join(ROOT, "tools", "train_net.py"))
    train_net = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_net)
    return train_net.main(train_net.default_argument_parser().parse_args(["--plugin", PROJECT, *args]))


@pytest.mark.parametrize("arch", MODELS)
def test_train_then_eval_only_gives_the_same_metrics(arch, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    out = str(tmp_path / "train")
    opts = [*TINY, *MODELS[arch]]
    results = run(["--config-file", CONFIG, *opts, "OUTPUT_DIR", out])
    assert {"model_final.pth", "metrics.json", "config.yaml"} <= set(os.listdir(out))
    with open(os.path.join(out, "metrics.json")) as f:
        rows = [json.loads(line) for line in f]
    iters = [r for r in rows if "total_loss" in r]
    assert [r["iteration"] for r in iters] == [0, 1, 2]
    assert all({"loss_sem_seg", "loss_aux"} <= set(r) for r in iters)
    assert 0 <= results["sem_seg"]["mIoU"] <= 100

    again = run(["--config-file", CONFIG, "--eval-only", *opts, "OUTPUT_DIR", str(tmp_path / "eval"),
                 "MODEL.WEIGHTS", os.path.join(out, "model_final.pth")])
    assert again["sem_seg"] == pytest.approx(results["sem_seg"], nan_ok=True)
