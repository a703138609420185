"""Fault injection on CPU: kills, corrupt checkpoints, signals, NaN losses, start-up errors, 2 processes."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from seg_engine.utils.testing import load_train_net

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN_NET = os.path.join(ROOT, "tools", "train_net.py")
CONFIG = os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml")
TINY = [
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.WARMUP_ITERS", "0", "INPUT.TRAIN.CROP_SIZE", "(65, 65)",
    "TEST.EVAL_PERIOD", "0", "LOG_PERIOD", "1", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16",
    "MODEL.AUX_HEAD.CHANNELS", "8", "SOLVER.MAX_TO_KEEP", "0", "DATASETS.TEST", "()",
]


def cmd(out, *extra, workers=0):
    return [sys.executable, TRAIN_NET, "--config-file", CONFIG, *extra_flags(extra), *TINY,
            "DATALOADER.NUM_WORKERS", str(workers), "OUTPUT_DIR", str(out), *extra_opts(extra)]


def extra_flags(extra):
    """Flags (and their values) go before the KEY VALUE overrides."""
    out, i = [], 0
    while i < len(extra):
        if extra[i] in ("--resume", "--eval-only", "--debug"):
            out.append(extra[i])
        elif extra[i] in ("--plugin", "--num-gpus"):
            out += extra[i : i + 2]
            i += 1
        i += 1
    return out


def extra_opts(extra):
    out, i = [], 0
    while i < len(extra):
        if extra[i] in ("--plugin", "--num-gpus"):
            i += 2
            continue
        if not extra[i].startswith("--"):
            out.append(extra[i])
        i += 1
    return out


def losses(out):
    """iteration -> total_loss, the last line written for each iteration winning (a resumed run rewrites)."""
    path = os.path.join(out, "metrics.json")
    if not os.path.exists(path):
        return {}
    result = {}
    with open(path) as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut by the kill
                continue
            if "total_loss" in row:
                result[row["iteration"]] = row["total_loss"]
    return result


def run_until(command, out, iteration, send=signal.SIGKILL, timeout=120):
    """Start training and send ``send`` once metrics.json shows ``iteration``."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    while max(losses(out), default=-1) < iteration:
        assert proc.poll() is None, f"training ended before iteration {iteration}: {proc.stderr.read()}"
        assert time.time() < deadline
        time.sleep(0.02)
    proc.send_signal(send)
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted 24-iteration run, checkpointing every 4."""
    refs = {}
    for workers in (0, 2):
        out = tmp_path_factory.mktemp(f"reference{workers}")
        subprocess.run(cmd(out, "SOLVER.MAX_ITER", "24", "SOLVER.CHECKPOINT_PERIOD", "4", workers=workers), check=True,
                       stdout=subprocess.DEVNULL)
        refs[workers] = losses(out)
    assert refs[0] == refs[2], "the loss sequence must not depend on the number of workers"
    return refs


@pytest.mark.parametrize("workers", [0, 2])
def test_sigkill_then_resume_gives_identical_losses(tmp_path, reference, workers):
    args = ["SOLVER.MAX_ITER", "24", "SOLVER.CHECKPOINT_PERIOD", "4"]
    code, _ = run_until(cmd(tmp_path, *args, workers=workers), tmp_path, 9)
    assert code == -signal.SIGKILL
    subprocess.run(cmd(tmp_path, "--resume", *args, workers=workers), check=True, stdout=subprocess.DEVNULL)
    assert losses(tmp_path) == reference[0]
    log = (tmp_path / "log.txt").read_text()
    assert "Starting training from iteration 8" in log or "Starting training from iteration 12" in log


def test_sigterm_checkpoints_and_exits_nonzero(tmp_path, reference):
    args = ["SOLVER.MAX_ITER", "24", "SOLVER.CHECKPOINT_PERIOD", "100"]
    code, err = run_until(cmd(tmp_path, *args), tmp_path, 5, send=signal.SIGTERM)
    assert code == 143
    assert "SIGTERM received: stopped after iteration" in err and "--resume" in err
    stopped = int(err.split("stopped after iteration ")[1].split(",")[0])
    assert (tmp_path / "last_checkpoint").read_text() == f"model_{stopped:07d}.pth"
    subprocess.run(cmd(tmp_path, "--resume", *args), check=True, stdout=subprocess.DEVNULL)
    assert losses(tmp_path) == reference[0]


def test_finished_run_resumes_to_a_clean_exit(tmp_path):
    args = ["SOLVER.MAX_ITER", "2"]
    subprocess.run(cmd(tmp_path, *args), check=True, stdout=subprocess.DEVNULL)
    done = subprocess.run(cmd(tmp_path, "--resume", *args), check=True, capture_output=True, text=True)
    assert "Training already finished (2 iterations); nothing to do" in done.stdout


KILL_DURING_SAVE = textwrap.dedent(
    """
    import sys, torch
    from torch import nn
    from seg_engine.checkpoint import Checkpointer
    ck = Checkpointer(nn.Linear(2, 2), sys.argv[1])
    ck.save("model_0000001", iteration=1)
    big = {"blob": torch.zeros(400_000_000, dtype=torch.uint8)}
    ck.save("model_0000002", iteration=2, **big)
    """
)


def test_kill_during_checkpoint_write_keeps_previous(tmp_path):
    script = tmp_path / "save.py"
    script.write_text(KILL_DURING_SAVE)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([sys.executable, str(script), str(out)])
    deadline = time.time() + 60
    while not ((out / "last_checkpoint").exists() and any(n.startswith(".model_0000002") for n in os.listdir(out))):
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    assert (out / "last_checkpoint").read_text() == "model_0000001.pth"
    assert not (out / "model_0000002.pth").exists()
    from seg_engine.checkpoint import Checkpointer

    extra = Checkpointer(torch.nn.Linear(2, 2), str(out)).resume_or_load("", resume=True)
    assert extra["iteration"] == 1


def test_corrupt_last_checkpoint_falls_back_with_a_warning(tmp_path):
    subprocess.run(cmd(tmp_path, "SOLVER.MAX_ITER", "6", "SOLVER.CHECKPOINT_PERIOD", "2"), check=True, stdout=subprocess.DEVNULL)
    final = tmp_path / "model_final.pth"
    final.write_bytes(final.read_bytes()[: final.stat().st_size // 2])
    done = subprocess.run(cmd(tmp_path, "--resume", "SOLVER.MAX_ITER", "8", "SOLVER.CHECKPOINT_PERIOD", "2"),
                          check=True, capture_output=True, text=True)
    assert f"Checkpoint {final} cannot be loaded" in done.stdout
    assert "Starting training from iteration 4" in done.stdout
    for f in tmp_path.glob("model_*.pth"):
        f.write_bytes(b"garbage")
    failed = subprocess.run(cmd(tmp_path, "--resume", "SOLVER.MAX_ITER", "10"), capture_output=True, text=True)
    assert failed.returncode == 2
    assert failed.stderr.strip().startswith("train_net: error: cannot resume: no readable checkpoint in")
    assert len(failed.stderr.strip().splitlines()) == 1


NAN_PLUGIN = textwrap.dedent(
    """
    from seg_engine.modeling import EncoderDecoder

    _losses = EncoderDecoder.losses
    calls = [0]

    def nan_at_fourth_call(self, outputs, targets, batched_inputs):
        calls[0] += 1
        result = _losses(self, outputs, targets, batched_inputs)
        if calls[0] == 4:
            result["loss_sem_seg"] = result["loss_sem_seg"] * float("nan")
        return result

    EncoderDecoder.losses = nan_at_fourth_call
    """
)


def test_nan_loss_stops_with_the_iteration_and_keeps_good_checkpoint(tmp_path):
    (tmp_path / "nan_injector.py").write_text(NAN_PLUGIN)
    out = tmp_path / "out"
    done = subprocess.run(
        cmd(out, "--plugin", str(tmp_path / "nan_injector.py"), "SOLVER.MAX_ITER", "10", "SOLVER.CHECKPOINT_PERIOD", "2"),
        capture_output=True, text=True,
    )
    assert done.returncode == 3
    assert done.stderr.strip() == "train_net: error: loss became non-finite at iteration 3: loss_sem_seg=nan"
    assert (out / "last_checkpoint").read_text() == "model_0000001.pth"
    assert sorted(p.name for p in out.glob("model_*.pth")) == ["model_0000001.pth"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["MODEL.NUM_CLASSES", "5"], "MODEL.NUM_CLASSES is 5 but dataset shapes_train has 7 classes"),
        (["SOLVER.NOPE", "1"], "command line: unknown config key SOLVER.NOPE"),
        (["SOLVER.MAX_ITER", "many"], "command line: SOLVER.MAX_ITER must be of type int"),
        (["--eval-only", "MODEL.WEIGHTS", "/nonexistent/w.pth"], "checkpoint /nonexistent/w.pth does not exist"),
        (["--eval-only"], "--eval-only needs MODEL.WEIGHTS"),
    ],
)
def test_startup_errors_are_one_line(tmp_path, args, message):
    train_net = load_train_net()
    flags = [a for a in args if a.startswith("--")]
    opts = [a for a in args if not a.startswith("--")]
    err_file = tmp_path / "err"
    with open(err_file, "w") as err, pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stderr", err)
        code = train_net.cli(["--config-file", CONFIG, *flags, *TINY, "OUTPUT_DIR", str(tmp_path / "o"), *opts])
    text = err_file.read_text().strip()
    assert code == 2
    assert text.startswith("train_net: error: ") and message in text and "\n" not in text


def test_unwritable_output_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = subprocess.run(cmd(blocker / "out", "SOLVER.MAX_ITER", "1"), capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"train_net: error: OUTPUT_DIR {blocker / 'out'} cannot be written")


def test_batch_not_divisible_by_processes(tmp_path):
    done = subprocess.run(cmd(tmp_path, "--num-gpus", "2", "SOLVER.IMS_PER_BATCH", "3", "SOLVER.MAX_ITER", "1"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "SOLVER.IMS_PER_BATCH (3) must be divisible by the number of processes (2)" in done.stderr.strip().splitlines()[-1]


def test_corrupt_image_in_a_worker_is_one_line_naming_the_file(tmp_path):
    import cv2
    import numpy as np

    root = tmp_path / "ds"
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "masks" / split).mkdir(parents=True)
        for i in range(4):
            cv2.imwrite(str(root / "images" / split / f"{i}.jpg"), np.full((64, 64, 3), 40 * i, np.uint8))
            cv2.imwrite(str(root / "masks" / split / f"{i}.png"), np.full((64, 64), i % 3, np.uint8))
    bad = root / "images" / "train" / "2.jpg"
    bad.write_bytes(bad.read_bytes()[:200])
    folder = ["DATASETS.FOLDER.NAME", "mine", "DATASETS.FOLDER.ROOT", str(root), "DATASETS.FOLDER.CLASSES",
              "['a', 'b', 'c']", "DATASETS.TRAIN", "('mine_train',)", "MODEL.NUM_CLASSES", "3",
              "SOLVER.MAX_ITER", "6", "INPUT.TRAIN.CROP_SIZE", "(64, 64)"]
    failed = subprocess.run(cmd(tmp_path / "a", *folder, workers=2), capture_output=True, text=True)
    assert failed.returncode == 2
    assert failed.stderr.strip() == f"train_net: error: cannot decode image {bad}: the file is truncated, corrupt or not an image"
    skipped = subprocess.run(cmd(tmp_path / "b", *folder, "DATALOADER.SKIP_BAD_SAMPLES", "True", workers=2),
                             capture_output=True, text=True)
    assert skipped.returncode == 0, skipped.stderr
    assert "bad training sample(s) were skipped" in skipped.stdout


def test_resume_at_an_evaluated_iteration_keeps_the_best_metric(tmp_path):
    args = ["SOLVER.MAX_ITER", "4", "SOLVER.CHECKPOINT_PERIOD", "2", "TEST.EVAL_PERIOD", "2", "DATASETS.TEST", "('shapes_val',)"]
    subprocess.run(cmd(tmp_path, *args), check=True, stdout=subprocess.DEVNULL)
    best = torch.load(tmp_path / "model_best.pth", weights_only=True)
    at_1 = torch.load(tmp_path / "model_0000001.pth", weights_only=True)["trainer"]["hooks"]["BestCheckpointer"]
    assert at_1["best_iter"] == 1 and at_1["best_value"] is not None
    assert best["best_metric"]["sem_seg/mIoU"] >= at_1["best_value"]


def test_negative_seed_is_drawn_once_and_recorded(tmp_path):
    done = subprocess.run(cmd(tmp_path, "SEED", "-1", "SOLVER.MAX_ITER", "2"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    import yaml

    seed = yaml.safe_load((tmp_path / "config.yaml").read_text())["SEED"]
    assert seed >= 0 and f"SEED was negative: drew {seed}" in done.stdout


def test_eval_only_refuses_weights_that_do_not_fit(tmp_path):
    subprocess.run(cmd(tmp_path / "a", "SOLVER.MAX_ITER", "1"), check=True, stdout=subprocess.DEVNULL)
    state = torch.load(tmp_path / "a" / "model_final.pth", weights_only=True)["model"]
    partial = tmp_path / "backbone_only.pth"
    torch.save({"state_dict": {k: v for k, v in state.items() if k.startswith("backbone.")}}, partial)
    done = subprocess.run(cmd(tmp_path / "b", "--eval-only", "MODEL.WEIGHTS", str(partial), "DATASETS.TEST", "('shapes_val',)"),
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith(f"train_net: error: {partial} does not fit the model:")
    assert "decode_head." in done.stderr and "14 weights missing" in done.stderr and "MODEL.WEIGHTS_FORMAT" in done.stderr


def test_nan_in_a_spawned_process_exits_3(tmp_path):
    (tmp_path / "nan_injector.py").write_text(NAN_PLUGIN)
    done = subprocess.run(
        cmd(tmp_path / "out", "--num-gpus", "2", "--plugin", str(tmp_path / "nan_injector.py"), "SOLVER.MAX_ITER", "10"),
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 3
    assert "loss became non-finite at iteration 3" in done.stderr.strip().splitlines()[-1]


def test_sigterm_to_the_launcher_reaches_the_spawned_processes(tmp_path):
    args = ["--num-gpus", "2", "SOLVER.IMS_PER_BATCH", "4", "SOLVER.MAX_ITER", "200", "SOLVER.CHECKPOINT_PERIOD", "1000"]
    code, err = run_until(cmd(tmp_path, *args), tmp_path, 3, send=signal.SIGTERM, timeout=300)
    assert code == 143, err
    assert "SIGTERM received: stopped after iteration" in err.strip().splitlines()[-1]
    assert (tmp_path / "last_checkpoint").read_text().startswith("model_0")
