"""Two gloo processes on CPU against one process: same losses, same weights, same metrics."""
import json
import os
import subprocess
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN_NET = os.path.join(ROOT, "tools", "train_net.py")
CONFIG = os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml")
# No batch statistics (frozen BN in the backbone, GN in the heads) and no dropout, so that the
# only difference between 1 process x 4 images and 2 processes x 2 images is float summation order.
# SGD, not the demo's AdamW: Adam divides by the gradient's running magnitude, so a summation-order
# difference in a near-zero gradient becomes a full step of either sign.
EXACT = [
    "SOLVER.OPTIMIZER", "SGD", "SOLVER.BASE_LR", "0.02",
    "SOLVER.IMS_PER_BATCH", "4", "SOLVER.MAX_ITER", "4", "SOLVER.WARMUP_ITERS", "0", "SOLVER.CHECKPOINT_PERIOD", "100",
    "INPUT.TRAIN.CROP_SIZE", "(65, 65)", "INPUT.TRAIN.RATIO_RANGE", "(1.0, 1.0)", "MODEL.RESNETS.BASE_WIDTH", "8",
    "MODEL.RESNETS.NORM", "FrozenBN", "MODEL.HEAD.NORM", "GN", "MODEL.AUX_HEAD.NORM", "GN", "MODEL.HEAD.CHANNELS", "16",
    "MODEL.AUX_HEAD.CHANNELS", "8", "MODEL.HEAD.DROPOUT", "0.0", "MODEL.AUX_HEAD.DROPOUT", "0.0", "LOG_PERIOD", "1",
    "DATALOADER.NUM_WORKERS", "0", "TEST.EVAL_PERIOD", "0", "DATASETS.TEST", "()",
]


def train_net(out, *args, processes=1):
    done = subprocess.run([sys.executable, TRAIN_NET, "--num-gpus", str(processes), "--config-file", CONFIG, *args,
                           "OUTPUT_DIR", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def losses(out):
    with open(os.path.join(out, "metrics.json")) as f:
        return [json.loads(line)["total_loss"] for line in f if "total_loss" in line]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    train_net(one, *EXACT, processes=1)
    train_net(two, *EXACT, processes=2)
    return one, two


@pytest.mark.slow
def test_two_processes_match_one_with_the_doubled_batch(runs):
    one, two = runs
    assert losses(one) == pytest.approx(losses(two), rel=1e-5)
    w1 = torch.load(one / "model_final.pth", weights_only=True)["model"]
    w2 = torch.load(two / "model_final.pth", weights_only=True)["model"]
    assert w1.keys() == w2.keys()
    for k in w1:
        assert torch.allclose(w1[k].float(), w2[k].float(), atol=1e-5), k
    assert not any(p.name.startswith("log.txt.rank") for p in two.iterdir()), "only rank 0 writes files"
    rng = torch.load(two / "model_final.pth", weights_only=True)["trainer"]["rng"]
    assert len(rng) == 2 and not torch.equal(rng[0]["torch"], rng[1]["torch"]), "each process's random state is kept"
    assert "Batch: 4 images per iteration in all, 2 per process" in (two / "log.txt").read_text()


@pytest.mark.slow
def test_two_process_evaluation_equals_one_process(runs, tmp_path):
    one, _ = runs
    results = []
    for n in (1, 2):
        out = tmp_path / f"eval{n}"
        train_net(out, "--eval-only", *EXACT[:-2], "MODEL.WEIGHTS", str(one / "model_final.pth"), processes=n)
        results.append(json.loads((out / "eval_results.json").read_text()))
    assert results[0] == results[1]
    assert results[0]["sem_seg"]["num_classes_counted"] >= 1
