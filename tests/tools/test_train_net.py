"""End to end through tools/train_net.py: train, checkpoint, --eval-only, --resume."""
import json
import os

import pytest

from seg_engine.utils.testing import load_train_net, run_train_net as run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml")


TINY = [
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "6", "SOLVER.CHECKPOINT_PERIOD", "3", "SOLVER.MAX_TO_KEEP", "0",
    "SOLVER.WARMUP_ITERS", "0", "INPUT.TRAIN.CROP_SIZE", "(65, 65)", "DATALOADER.NUM_WORKERS", "0",
    "TEST.EVAL_PERIOD", "0", "LOG_PERIOD", "1", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16",
    "MODEL.AUX_HEAD.CHANNELS", "8",
]


def losses(metrics_file):
    with open(metrics_file) as f:
        rows = [json.loads(line) for line in f]
    return {r["iteration"]: r["total_loss"] for r in rows if "total_loss" in r}


def test_train_eval_only_and_resume(tmp_path):
    out = str(tmp_path / "run")
    results = run(["--config-file", CONFIG, *TINY, "OUTPUT_DIR", out])
    files = set(os.listdir(out))
    assert {"config.yaml", "metrics.json", "model_0000002.pth", "model_final.pth", "model_best.pth", "last_checkpoint", "log.txt"} <= files
    assert open(os.path.join(out, "last_checkpoint")).read() == "model_final.pth"
    assert 0 <= results["sem_seg"]["mIoU"] <= 100
    first_losses = losses(os.path.join(out, "metrics.json"))
    assert sorted(first_losses) == list(range(6))

    # --eval-only on the final weights prints the same metrics as the run's final evaluation.
    again = run(["--config-file", CONFIG, "--eval-only", *TINY, "OUTPUT_DIR", str(tmp_path / "eval"),
                 "MODEL.WEIGHTS", os.path.join(out, "model_final.pth")])
    assert again["sem_seg"] == pytest.approx(results["sem_seg"], nan_ok=True)

    # The checkpoint after iteration 2 records the samples drawn so far: 3 iterations of 2 images.
    import torch

    assert torch.load(os.path.join(out, "model_0000002.pth"), weights_only=True)["trainer"]["data_position"] == 6

    # Resume from the iteration-2 checkpoint: training continues at 3 with the same losses.
    resumed = str(tmp_path / "resumed")
    os.makedirs(resumed)
    os.link(os.path.join(out, "model_0000002.pth"), os.path.join(resumed, "model_0000002.pth"))
    with open(os.path.join(resumed, "last_checkpoint"), "w") as f:
        f.write("model_0000002.pth")
    run(["--config-file", CONFIG, "--resume", *TINY, "OUTPUT_DIR", resumed])
    resumed_losses = losses(os.path.join(resumed, "metrics.json"))
    assert sorted(resumed_losses) == [3, 4, 5]
    assert [resumed_losses[i] for i in (3, 4, 5)] == [first_losses[i] for i in (3, 4, 5)]

    # A finished run resumes to a clean exit.
    assert run(["--config-file", CONFIG, "--resume", *TINY, "OUTPUT_DIR", out]) is None


def test_cli_reports_config_errors_in_one_line(tmp_path, capsys):
    train_net = load_train_net()
    code = train_net.cli(["--config-file", CONFIG, "SOLVER.BASE_RL", "0.1", "OUTPUT_DIR", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == "train_net: error: command line: unknown config key SOLVER.BASE_RL; did you mean SOLVER.BASE_LR, SOLVER.BETAS, SOLVER.STEPS?"


def test_eval_only_with_missing_weights(tmp_path, capsys):
    train_net = load_train_net()
    code = train_net.cli(["--config-file", CONFIG, "--eval-only", "MODEL.WEIGHTS", str(tmp_path / "none.pth"),
                          "OUTPUT_DIR", str(tmp_path), *TINY])
    assert code == 2
    assert "none.pth does not exist" in capsys.readouterr().err
