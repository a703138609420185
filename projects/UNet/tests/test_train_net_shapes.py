"""Each model through tools/train_net.py on `shapes`: a few iterations at an odd crop, then --eval-only."""
import importlib.util
import json
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(PROJECT))

COMMON = [
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "3", "SOLVER.CHECKPOINT_PERIOD", "3", "SOLVER.WARMUP_ITERS", "0",
    "INPUT.TRAIN.CROP_SIZE", "(33, 49)", "DATALOADER.NUM_WORKERS", "0", "TEST.EVAL_PERIOD", "0", "LOG_PERIOD", "1",
    "TEST.IMS_PER_BATCH", "20", "MODEL.DEVICE", "cpu",
]
RECIPES = {
    "unet_shapes.yaml": (["MODEL.UNET_ENCODER.WIDTHS", "[4, 8, 8, 16, 16]"], {"total_loss"}),
    "unetplusplus_R18_shapes.yaml": (["MODEL.RESNETS.BASE_WIDTH", "4", "MODEL.UNET.DECODER_CHANNELS", "[16, 8, 8, 4, 4]"],
                                     {"loss_ds1", "loss_ds2", "loss_ds3", "loss_ds4"}),
    "linknet_R18_shapes.yaml": (["MODEL.RESNETS.BASE_WIDTH", "4", "MODEL.HEAD.CHANNELS", "4"], {"total_loss"}),
}


def run(args):
    spec = importlib.util.spec_from_file_location("train_net_unet", os.path.join(ROOT, "tools", "train_net.py"))
    train_net = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_net)
    return train_net.main(train_net.default_argument_parser().parse_args(["--plugin", os.path.join(PROJECT, "unet"), *args]))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("shapes_cache"))


# UNet runs in the default suite; UNet++ and LinkNet take as long again each (run them with -m slow).
@pytest.mark.parametrize("recipe", [
    "unet_shapes.yaml",
    pytest.param("unetplusplus_R18_shapes.yaml", marks=pytest.mark.slow),
    pytest.param("linknet_R18_shapes.yaml", marks=pytest.mark.slow),
])
def test_train_then_eval_only_gives_the_same_metrics(recipe, cache, tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", cache)
    config = os.path.join(PROJECT, "configs", "shapes", recipe)
    tiny, losses = RECIPES[recipe]
    out = str(tmp_path / "train")
    results = run(["--config-file", config, *COMMON, *tiny, "OUTPUT_DIR", out])
    assert {"model_final.pth", "metrics.json", "config.yaml"} <= set(os.listdir(out))
    with open(os.path.join(out, "metrics.json")) as f:
        rows = [json.loads(line) for line in f]
    iters = [r for r in rows if "total_loss" in r]
    assert [r["iteration"] for r in iters] == [0, 1, 2]
    assert all(losses <= set(r) for r in iters)
    assert 0 <= results["sem_seg"]["mIoU"] <= 100

    again = run(["--config-file", config, "--eval-only", *COMMON, *tiny, "OUTPUT_DIR", str(tmp_path / "eval"),
                 "MODEL.WEIGHTS", os.path.join(out, "model_final.pth")])
    assert again["sem_seg"] == pytest.approx(results["sem_seg"], nan_ok=True)
