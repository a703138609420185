"""Each FCN model through tools/train_net.py on `shapes`: a few iterations, then --eval-only on the checkpoint."""
import importlib.util
import json
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(PROJECT))
SHAPES = os.path.join(PROJECT, "configs", "shapes")

COMMON = [
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "3", "SOLVER.CHECKPOINT_PERIOD", "3", "SOLVER.WARMUP_ITERS", "0",
    "INPUT.TRAIN.CROP_SIZE", "(41, 41)", "DATALOADER.NUM_WORKERS", "0", "TEST.EVAL_PERIOD", "0", "LOG_PERIOD", "1",
    "TEST.IMS_PER_BATCH", "20",
]
RECIPES = {  # recipe: (narrowing overrides, losses)
    "fcn8s_vgg16_shapes.yaml": (["MODEL.VGG.BASE_WIDTH", "4", "MODEL.VGG.FC_CHANNELS", "16"], set()),  # one loss: total_loss only
    "fcn32s_vgg19bn_shapes.yaml": (["MODEL.VGG.BASE_WIDTH", "4", "MODEL.HEAD.CHANNELS", "16", "MODEL.AUX_HEAD.CHANNELS", "16"],
                                   {"loss_sem_seg", "loss_aux"}),
    "fcn_R18-D8_shapes.yaml": (["MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.RESNETS.STEM_WIDTH", "4", "MODEL.HEAD.CHANNELS", "16",
                                "MODEL.AUX_HEAD.CHANNELS", "8"], {"loss_sem_seg", "loss_aux"}),
}


def run(args):
    spec = importlib.util.spec_from_file_location("train_net_fcn", os.path.join(ROOT, "tools", "train_net.py"))
    train_net = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_net)
    return train_net.main(train_net.default_argument_parser().parse_args(["--plugin", PROJECT, *args]))


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_train_then_eval_only_gives_the_same_metrics(recipe, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / "cache"))
    narrow, losses = RECIPES[recipe]
    config = os.path.join(SHAPES, recipe)
    out = str(tmp_path / "train")
    results = run(["--config-file", config, *COMMON, *narrow, "MODEL.DEVICE", "cpu", "OUTPUT_DIR", out])
    assert {"model_final.pth", "metrics.json", "config.yaml"} <= set(os.listdir(out))
    with open(os.path.join(out, "metrics.json")) as f:
        rows = [json.loads(line) for line in f]
    iters = [r for r in rows if "total_loss" in r]
    assert [r["iteration"] for r in iters] == [0, 1, 2]
    assert all(losses <= set(r) for r in iters)
    assert 0 <= results["sem_seg"]["mIoU"] <= 100

    again = run(["--config-file", config, "--eval-only", *COMMON, *narrow, "MODEL.DEVICE", "cpu",
                 "OUTPUT_DIR", str(tmp_path / "eval"), "MODEL.WEIGHTS", os.path.join(out, "model_final.pth")])
    assert again["sem_seg"] == pytest.approx(results["sem_seg"], nan_ok=True)
