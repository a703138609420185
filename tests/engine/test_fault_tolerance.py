"""Fault injection on CPU: kills, corrupt checkpoints, signals, NaN losses, start-up errors, 2 processes."""
import json
import os
import re
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_a_blow_up_never_writes_or_points_to_a_non_finite_checkpoint(tmp_path, capsys):
    """The issue's run: at SOLVER.BASE_LR 1e6 the loss stays finite (about 1e10) while BatchNorm's running
    variance overflows; the state after iteration 3 is not saved (one warning names the tensor), the
    run stops one iteration later on the NaN loss, and --resume would start from iteration 1's model."""
    out = tmp_path / "out"
    code, err, _ = run_cli(capsys, out, "SOLVER.OPTIMIZER", "SGD", "SOLVER.BASE_LR", "1e6", "SOLVER.WARMUP_ITERS", "20",
                           "SOLVER.CHECKPOINT_PERIOD", "2", "SOLVER.MAX_ITER", "10")
    one_error_line(code, err, 3, "loss became non-finite at iteration 4")
    assert (out / "last_checkpoint").read_text() == "model_0000001.pth"
    assert sorted(p.name for p in out.glob("model_*.pth")) == ["model_0000001.pth"]
    state = torch.load(out / "model_0000001.pth", weights_only=True)["model"]
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
    log = (out / "log.txt").read_text()
    assert re.search(rf"Iteration 3: checkpoint {out}/model_0000003.pth not written: model\.backbone\.\S+\.running_var "
                     rf"holds inf \(and \d+ more non-finite tensors\); last_checkpoint still names {out}/model_0000001.pth", log)


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


@pytest.mark.slow
def test_batch_not_divisible_by_processes(tmp_path):
    done = subprocess.run(cmd(tmp_path, "--num-gpus", "2", "SOLVER.IMS_PER_BATCH", "3", "SOLVER.MAX_ITER", "1"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "SOLVER.IMS_PER_BATCH (3) must be divisible by the number of processes (2)" in done.stderr.strip().splitlines()[-1]


@pytest.mark.slow
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


@pytest.mark.slow
def test_resume_at_an_evaluated_iteration_keeps_the_best_metric(tmp_path):
    args = ["SOLVER.MAX_ITER", "4", "SOLVER.CHECKPOINT_PERIOD", "2", "TEST.EVAL_PERIOD", "2", "DATASETS.TEST", "('shapes_val',)"]
    subprocess.run(cmd(tmp_path, *args), check=True, stdout=subprocess.DEVNULL)
    best = torch.load(tmp_path / "model_best.pth", weights_only=True)
    at_1 = torch.load(tmp_path / "model_0000001.pth", weights_only=True)["trainer"]["hooks"]["BestCheckpointer"]
    assert at_1["best_iter"] == 1 and at_1["best_value"] is not None
    assert best["best_metric"]["sem_seg/mIoU"] >= at_1["best_value"]


@pytest.mark.slow
def test_negative_seed_is_drawn_once_and_recorded(tmp_path):
    done = subprocess.run(cmd(tmp_path, "SEED", "-1", "SOLVER.MAX_ITER", "2"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    import yaml

    seed = yaml.safe_load((tmp_path / "config.yaml").read_text())["SEED"]
    assert seed >= 0 and f"SEED was negative: drew {seed}" in done.stdout


@pytest.mark.slow
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


@pytest.mark.slow
def test_nan_in_a_spawned_process_exits_3(tmp_path):
    (tmp_path / "nan_injector.py").write_text(NAN_PLUGIN)
    done = subprocess.run(
        cmd(tmp_path / "out", "--num-gpus", "2", "--plugin", str(tmp_path / "nan_injector.py"), "SOLVER.MAX_ITER", "10"),
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 3
    assert "loss became non-finite at iteration 3" in done.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_sigterm_to_the_launcher_reaches_the_spawned_processes(tmp_path):
    args = ["--num-gpus", "2", "SOLVER.IMS_PER_BATCH", "4", "SOLVER.MAX_ITER", "200", "SOLVER.CHECKPOINT_PERIOD", "1000"]
    code, err = run_until(cmd(tmp_path, *args), tmp_path, 3, send=signal.SIGTERM, timeout=300)
    assert code == 143, err
    assert "SIGTERM received: stopped after iteration" in err.strip().splitlines()[-1]
    assert (tmp_path / "last_checkpoint").read_text().startswith("model_0")


# ================================================================================ the fault matrix
# Each case: the exit status, how many lines are printed on stderr, that the culprit (file, key, value,
# iteration, run) is named, and that no checkpoint was lost. In-process runs (``run_cli``) where the
# fault needs no second process; subprocesses for signals and concurrent runs.
import errno  # noqa: E402
import io  # noqa: E402
import socket  # noqa: E402
import uuid  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def run_cli(capsys, out, *args, config=CONFIG, workers=0):
    """tools/train_net.py in this process: (exit status, stderr lines, stdout)."""
    capsys.readouterr()
    code = load_train_net().cli(["--config-file", str(config), *extra_flags(args), *TINY, "DATALOADER.NUM_WORKERS",
                                 str(workers), "OUTPUT_DIR", str(out), *extra_opts(args)])
    captured = capsys.readouterr()
    return code, printed_lines(captured.err), captured.out


def printed_lines(text):
    """The lines printed on stderr, less tqdm's progress bars (redrawn in place on a terminal) and the
    log warnings of ranks other than 0 (``[rank 1] ...``, which go to stderr by design)."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith(("inference:", "[rank "))]


def fake_previous_run(out):
    """An OUTPUT_DIR with a checkpoint in it; ``unchanged()`` says whether a failed run left it alone."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "model_0000001.pth").write_bytes(b"checkpoint bytes")
    (out / "last_checkpoint").write_text("model_0000001.pth")
    return lambda: (out / "model_0000001.pth").read_bytes() == b"checkpoint bytes" and (
        out / "last_checkpoint").read_text() == "model_0000001.pth"


def one_error_line(code, err, expected_code, *culprits):
    assert code == expected_code, err
    assert len(err) == 1, err
    assert err[0].startswith("train_net: error: "), err
    for culprit in culprits:
        assert culprit in err[0], err


def write_folder(root, train=3, val=2, size=(32, 32), mask_value=lambda i: i % 2, ext=".jpg", mask_ext=".png"):
    for split, n in (("train", train), ("val", val)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "masks" / split).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(np.full((*size, 3), 30 * i, np.uint8)).save(root / "images" / split / f"{i}{ext}")
            mask = np.zeros(size, np.uint8)
            mask[: size[0] // 2] = mask_value(i)
            Image.fromarray(mask).save(root / "masks" / split / f"{i}{mask_ext}")
    return root


def folder_opts(root, classes=("a", "b"), *more):
    name = f"ds{uuid.uuid4().hex[:8]}"
    return ["DATASETS.FOLDER.NAME", name, "DATASETS.FOLDER.ROOT", str(root), "DATASETS.FOLDER.CLASSES", repr(list(classes)),
            "DATASETS.TRAIN", f"('{name}_train',)", "MODEL.NUM_CLASSES", str(len(classes)),
            "INPUT.TRAIN.CROP_SIZE", "(32, 32)", *more], name


# ---------------------------------------------------------------------------- config
def _yaml(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(
    "case",
    ["yaml_syntax", "circular_base", "missing_file", "max_iter_0", "max_iter_negative", "ims_per_batch_0",
     "ims_per_batch_negative", "resnet_depth", "optimizer", "device_cuda", "folder_root_empty", "log_period_0",
     "unknown_key", "wrong_type"],
)
def test_config_errors_are_one_line_before_anything_is_written(tmp_path, capsys, case):
    out = tmp_path / "out"
    unchanged = fake_previous_run(out)
    config, opts, culprits = CONFIG, [], []
    if case == "yaml_syntax":
        config = _yaml(tmp_path, "bad.yaml", f"_BASE_: {CONFIG}\nSOLVER:\n  MAX_ITER: 3\n   BASE_LR: [1\n")
        culprits = [f"{config}:4:", "YAML syntax error"]
    elif case == "circular_base":
        _yaml(tmp_path, "a.yaml", "_BASE_: b.yaml\n")
        _yaml(tmp_path, "b.yaml", "_BASE_: a.yaml\n")
        config = tmp_path / "a.yaml"
        culprits = [f"circular _BASE_: {config} -> {tmp_path}/b.yaml -> {tmp_path}/a.yaml"]
    elif case == "missing_file":
        config = tmp_path / "nope.yaml"
        culprits = [f"config file {config} does not exist"]
    else:
        opts, culprits = {
            "max_iter_0": (["SOLVER.MAX_ITER", "0"], ["SOLVER.MAX_ITER must be a positive integer, got 0"]),
            "max_iter_negative": (["SOLVER.MAX_ITER", "-5"], ["SOLVER.MAX_ITER must be a positive integer, got -5"]),
            "ims_per_batch_0": (["SOLVER.IMS_PER_BATCH", "0"], ["SOLVER.IMS_PER_BATCH must be a positive integer, got 0"]),
            "ims_per_batch_negative": (["SOLVER.IMS_PER_BATCH", "-2"], ["SOLVER.IMS_PER_BATCH", "got -2"]),
            "resnet_depth": (["MODEL.RESNETS.DEPTH", "42"], ["MODEL.RESNETS.DEPTH must be one of 18, 34, 50, 101, 152, got 42"]),
            "optimizer": (["SOLVER.OPTIMIZER", "Adam"], ["SOLVER.OPTIMIZER must be one of 'SGD', 'AdamW', got 'Adam'"]),
            "device_cuda": (["MODEL.DEVICE", "cuda"], ["MODEL.DEVICE", "CUDA is not available", "got 'cuda'"]),
            "folder_root_empty": (["DATASETS.FOLDER.NAME", "mine", "DATASETS.FOLDER.ROOT", '""'],
                                  ["DATASETS.FOLDER.ROOT must be the folder of dataset 'mine'", "got ''"]),
            "log_period_0": (["LOG_PERIOD", "0"], ["LOG_PERIOD must be a positive integer, got 0"]),
            "unknown_key": (["SOLVER.MAX_ITERS", "3"], ["unknown config key SOLVER.MAX_ITERS; did you mean SOLVER.MAX_ITER"]),
            "wrong_type": (["SOLVER.BASE_LR", "fast"], ["SOLVER.BASE_LR must be of type float", "'fast'"]),
        }[case]
    if case == "device_cuda" and torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    code, err, _ = run_cli(capsys, out, *opts, config=config)
    one_error_line(code, err, 2, *culprits)
    assert unchanged() and sorted(os.listdir(out)) == ["last_checkpoint", "model_0000001.pth"]
    with pytest.raises(Exception):  # --debug shows the traceback (the exception propagates)
        load_train_net().cli(["--config-file", str(config), "--debug", *TINY, "OUTPUT_DIR", str(out), *opts])


def test_plugin_checks_its_own_keys_in_the_same_table(tmp_path, capsys):
    from seg_engine.config import register_check, register_config
    from seg_engine.config.validation import _CHECKS, positive_int

    def add_key(cfg):
        cfg.MODEL.MATRIX_TEST_BINS = 4

    register_config(add_key)
    register_check("MODEL.MATRIX_TEST_BINS", positive_int)
    try:
        code, err, _ = run_cli(capsys, tmp_path / "out", "MODEL.MATRIX_TEST_BINS", "-1")
        one_error_line(code, err, 2, "MODEL.MATRIX_TEST_BINS must be a positive integer, got -1")
    finally:
        from seg_engine.config import config as config_module

        config_module._CONFIG_EXTENSIONS.remove(add_key)
        _CHECKS.pop("MODEL.MATRIX_TEST_BINS")


# ---------------------------------------------------------------------------- data
@pytest.mark.parametrize("case", ["image_without_mask", "mask_without_image", "empty_folder", "wrong_extension",
                                  "root_missing", "empty_train_split"])
def test_folder_dataset_errors_are_one_line(tmp_path, capsys, case):
    root = write_folder(tmp_path / "ds")
    more = []
    if case == "image_without_mask":
        os.remove(root / "masks" / "train" / "1.png")
        culprits = ["1 image(s) without a .png mask", f"{root}/masks/train"]
    elif case == "mask_without_image":
        os.remove(root / "images" / "train" / "2.jpg")
        culprits = ["1 mask(s) without a .jpg image", f"{root}/images/train"]
    elif case == "empty_folder":
        for f in (root / "images" / "train").iterdir():
            f.unlink()
        culprits = [f"no .jpg images in {root}/images/train (the folder is empty)"]
    elif case == "wrong_extension":
        more = ["DATASETS.FOLDER.IMAGE_EXT", ".png"]
        culprits = [f"no .png images in {root}/images/train (it holds 3 .jpg files; set DATASETS.FOLDER.IMAGE_EXT"]
    elif case == "root_missing":
        root = tmp_path / "nowhere"
        culprits = ["DATASETS.FOLDER.ROOT must be an existing folder", str(root)]
    else:
        import shutil

        shutil.rmtree(root / "images" / "train")
        culprits = [f"image folder {root}/images/train does not exist"]
    opts, _ = folder_opts(root, ("a", "b"), *more, "DATASETS.TEST", "()")
    code, err, _ = run_cli(capsys, tmp_path / "out", *opts, "SOLVER.MAX_ITER", "1")
    one_error_line(code, err, 2, *culprits)
    assert not (tmp_path / "out" / "last_checkpoint").exists()


def test_binary_masks_stored_as_0_255_warn_once_and_label_map_fixes_them(tmp_path):
    import logging

    from seg_engine.config import get_cfg
    from seg_engine.data import build_test_loader, build_train_loader

    root = write_folder(tmp_path / "ds", mask_value=lambda i: 255)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("seg_engine.data.build").addHandler(handler)
    try:
        for label_map in ([], [[255, 1]]):
            cfg = get_cfg()
            cfg.merge_from_list(folder_opts(root, ("bg", "fg"), "DATASETS.FOLDER.LABEL_MAP", repr(label_map))[0])
            cfg.merge_from_list(["DATALOADER.NUM_WORKERS", "0", "SOLVER.IMS_PER_BATCH", "2"])
            name = cfg.DATASETS.FOLDER.NAME
            loader = build_train_loader(cfg)
            build_test_loader(cfg, f"{name}_val")
            build_train_loader(cfg)
            warnings = [r.getMessage() for r in records if "every foreground pixel is ignored" in r.getMessage()]
            if not label_map:
                # once per dataset (train and val), naming it and the fix
                assert len(warnings) == 2 and f"Dataset {name}_train:" in warnings[0], warnings
                assert 'DATASETS.FOLDER.LABEL_MAP "{255: 1}"' in warnings[0]
                records.clear()
            else:
                assert warnings == []
                labels = next(iter(loader))[0]["sem_seg"]
                assert set(labels.unique().tolist()) == {0, 1}
    finally:
        logging.getLogger("seg_engine.data.build").removeHandler(handler)


def test_label_map_from_yaml_mapping(tmp_path):
    from seg_engine.config import get_cfg

    path = _yaml(tmp_path, "lm.yaml", f"_BASE_: {CONFIG}\nDATASETS:\n  FOLDER:\n    LABEL_MAP: {{255: 1, 3: 0}}\n")
    cfg = get_cfg()
    cfg.merge_from_file(str(path))
    assert cfg.DATASETS.FOLDER.LABEL_MAP == [[255, 1], [3, 0]]
    cfg.merge_from_list(["DATASETS.FOLDER.LABEL_MAP", "{7: 2}"])
    assert cfg.DATASETS.FOLDER.LABEL_MAP == [[7, 2]]


def test_data_loader_workers_ignore_sigterm_and_sigint(tmp_path):
    """A signal to the whole process group reaches the workers too; they keep serving batches."""
    from seg_engine.config import get_cfg
    from seg_engine.data import build_train_loader

    root = write_folder(tmp_path / "ds")
    cfg = get_cfg()
    cfg.merge_from_list(folder_opts(root)[0] + ["DATALOADER.NUM_WORKERS", "2", "SOLVER.IMS_PER_BATCH", "2"])
    batches = iter(build_train_loader(cfg))
    next(batches)
    workers = batches.gi_frame.f_locals["batches"]._workers  # the torch iterator inside the generator
    # From another process, as a scheduler's signal comes (the loader's own SIGTERM ends a worker).
    subprocess.run(["sh", "-c", " ".join(f"kill -TERM {w.pid}; kill -INT {w.pid};" for w in workers)], check=True)
    time.sleep(0.3)
    assert len(next(batches)) == 2 and len(next(batches)) == 2 and all(w.is_alive() for w in workers)
    batches.close()  # the loader shuts its workers down (the main process's SIGTERM still ends them)
    for w in workers:
        w.join(timeout=30)
    assert not any(w.is_alive() for w in workers)


# ---------------------------------------------------------------------------- weights
def _save_model(cfg_opts, path, iteration=None):
    """A checkpoint of the model the config builds, without training it."""
    from seg_engine.checkpoint import Checkpointer
    from seg_engine.config import get_cfg
    from seg_engine.modeling import build_model

    cfg = get_cfg()
    cfg.merge_from_file(CONFIG)
    cfg.merge_from_list([*TINY, "MODEL.DEVICE", "cpu", *cfg_opts])
    extra = {} if iteration is None else {"iteration": iteration}
    path.parent.mkdir(parents=True, exist_ok=True)
    Checkpointer(build_model(cfg), str(path.parent)).save(path.stem, **extra)
    return path


@pytest.mark.parametrize("case", ["truncated", "not_torch", "resume_other_model"])
def test_weight_errors_are_one_line(tmp_path, capsys, case):
    out = tmp_path / "out"
    if case == "resume_other_model":
        # OUTPUT_DIR holds a model with other widths: resume must name the first differing key.
        ckpt = _save_model(["MODEL.HEAD.CHANNELS", "8"], out / "model_0000003.pth", iteration=3)
        before = ckpt.read_bytes()
        code, err, stdout = run_cli(capsys, out, "--resume", "SOLVER.MAX_ITER", "5")
        one_error_line(code, err, 2, f"cannot resume from {ckpt}: it holds another model",
                       "decode_head.", "in the checkpoint", "in the model")
        assert "Starting training" not in stdout and ckpt.read_bytes() == before
        return
    weights = tmp_path / "w.pth"
    if case == "truncated":
        _save_model([], weights)
        weights.write_bytes(weights.read_bytes()[:1000])
    else:
        weights.write_text("these are not weights\n")
    unchanged = fake_previous_run(out)
    code, err, _ = run_cli(capsys, out, "MODEL.WEIGHTS", str(weights), "SOLVER.MAX_ITER", "1")
    one_error_line(code, err, 2, f"checkpoint {weights} cannot be loaded")
    assert unchanged()


# ---------------------------------------------------------------------------- late errors
@pytest.mark.slow
def test_bad_validation_mask_in_the_final_evaluation_keeps_model_final(tmp_path, capsys):
    root = write_folder(tmp_path / "ds")
    bad = root / "masks" / "val" / "1.png"
    Image.fromarray(np.full((32, 32), 9, np.uint8)).save(bad)
    opts, name = folder_opts(root)
    out = tmp_path / "out"
    code, err, _ = run_cli(capsys, out, *opts, "DATASETS.TEST", f"('{name}_val',)", "SOLVER.MAX_ITER", "2")
    final = out / "model_final.pth"
    one_error_line(code, err, 2, f"mask {bad} has labels [9]", f"the model after iteration 1 is saved in {final}")
    assert torch.load(final, weights_only=True)["iteration"] == 1
    assert (out / "last_checkpoint").read_text() == "model_final.pth"


@pytest.mark.slow
def test_error_in_a_hook_between_checkpoints_saves_the_completed_iteration(tmp_path, capsys):
    root = write_folder(tmp_path / "ds")
    bad = root / "masks" / "val" / "0.png"
    Image.fromarray(np.full((32, 32), 9, np.uint8)).save(bad)
    opts, name = folder_opts(root)
    out = tmp_path / "out"
    code, err, _ = run_cli(capsys, out, *opts, "DATASETS.TEST", f"('{name}_val',)", "SOLVER.MAX_ITER", "10",
                           "TEST.EVAL_PERIOD", "2", "SOLVER.CHECKPOINT_PERIOD", "100")
    saved = out / "model_0000001.pth"
    one_error_line(code, err, 2, f"mask {bad} has labels [9]", f"the model after iteration 1 is saved in {saved}")
    state = torch.load(saved, weights_only=True)
    assert state["iteration"] == 1 and (out / "last_checkpoint").read_text() == "model_0000001.pth"
    assert not (out / "run.lock").exists()  # released at exit


def test_eval_results_json_writes_null_where_no_pixel_is_valid(tmp_path, capsys):
    root = write_folder(tmp_path / "ds", mask_value=lambda i: 255)
    for mask in (root / "masks" / "val").iterdir():
        Image.fromarray(np.full((32, 32), 255, np.uint8)).save(mask)
    opts, name = folder_opts(root)
    weights = _save_model(["MODEL.NUM_CLASSES", "2"], tmp_path / "w" / "model.pth")
    out = tmp_path / "out"
    code, err, stdout = run_cli(capsys, out, "--eval-only", *opts, "DATASETS.TEST", f"('{name}_val',)",
                                "MODEL.WEIGHTS", str(weights))
    assert code == 0 and err == [], err
    text = (out / "eval_results.json").read_text()
    results = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in eval_results.json"))
    assert results["sem_seg"]["mIoU"] is None and results["sem_seg"]["IoU-a"] is None
    assert "metric(s) are undefined (no valid pixel defines them) and written as null: sem_seg/pAcc" in stdout


# ---------------------------------------------------------------------------- disk full
DISK_FULL_AT_SAVE = 2


def _fill_disk_at(monkeypatch, save_number):
    """Every torch.save from the ``save_number``-th on hits a full disk after 1000 bytes."""
    real_save = torch.save
    calls = [0]

    class FullDisk(io.RawIOBase):
        def __init__(self, f):
            self.f, self.written = f, 0

        def writable(self):
            return True

        def write(self, b):
            if self.written + len(b) > 1000:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(b)
            return self.f.write(b)

    def save(obj, f, *args, **kwargs):
        calls[0] += 1
        return real_save(obj, FullDisk(f) if calls[0] >= save_number else f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)


@pytest.mark.slow
@pytest.mark.parametrize("save_number", [1, 2])
def test_disk_full_while_saving_is_one_line_naming_the_last_complete_checkpoint(tmp_path, capsys, monkeypatch, save_number):
    _fill_disk_at(monkeypatch, save_number)
    out = tmp_path / "out"
    code, err, _ = run_cli(capsys, out, "SOLVER.MAX_ITER", "6", "SOLVER.CHECKPOINT_PERIOD", "2")
    if save_number == 1:
        one_error_line(code, err, 2, f"No space left on device while writing {out}/model_0000001.pth, "
                       "the last complete checkpoint is none (nothing was saved before)")
        assert not (out / "last_checkpoint").exists()
    else:
        one_error_line(code, err, 2, f"No space left on device while writing {out}/model_0000003.pth, "
                       f"the last complete checkpoint is {out}/model_0000001.pth")
        assert (out / "last_checkpoint").read_text() == "model_0000001.pth"
        assert torch.load(out / "model_0000001.pth", weights_only=True)["iteration"] == 1
    assert not [n for n in os.listdir(out) if n.endswith(".tmp")]


# ---------------------------------------------------------------------------- concurrent runs
def test_second_run_on_a_locked_output_dir_is_refused(tmp_path, capsys):
    from seg_engine.engine.output_lock import OutputDirLock

    out = tmp_path / "out"
    unchanged = fake_previous_run(out)
    holder = OutputDirLock(str(out))  # another open file: the same as another process to flock
    holder.acquire()
    try:
        code, err, _ = run_cli(capsys, out, "SOLVER.MAX_ITER", "1")
        one_error_line(code, err, 2, f"OUTPUT_DIR {out} is in use by another run (pid {os.getpid()} on {socket.gethostname()}")
        assert unchanged() and (out / "run.lock").exists()
    finally:
        holder.release()
    assert not (out / "run.lock").exists()


@pytest.mark.slow
def test_stale_lock_of_a_killed_run_is_taken_over(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.lock").write_text("pid 999999\nhost gone\nstarted 2020-01-01 00:00:00\n")
    code, err, stdout = run_cli(capsys, out, "SOLVER.MAX_ITER", "1", "DATASETS.TEST", "()")
    assert code == 0 and err == [], err
    assert "Took over the stale lock" in stdout and "pid 999999 on gone" in stdout
    assert not (out / "run.lock").exists() and (out / "model_final.pth").exists()


# ---------------------------------------------------------------------------- signals
def run_group_until(command, out, iteration, send=signal.SIGTERM, timeout=300):
    """Start training in its own process group and signal the whole group (launcher, ranks and
    data-loader workers at once, as schedulers do) once metrics.json shows ``iteration``."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + timeout
    while max(losses(out), default=-1) < iteration:
        assert proc.poll() is None, f"training ended before iteration {iteration}: {proc.stderr.read()}"
        assert time.time() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, send)
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, printed_lines(err)


def assert_preempted(code, err, out, expected_code, name):
    assert code == expected_code, err
    assert len(err) == 1 and err[0].startswith(f"train_net: {name} received: stopped after iteration"), err
    stopped = int(err[0].split("stopped after iteration ")[1].split(",")[0])
    path = out / f"model_{stopped:07d}.pth"
    assert f"checkpoint {path}" in err[0] and (out / "last_checkpoint").read_text() == path.name
    assert torch.load(path, weights_only=True)["iteration"] == stopped
    assert not (out / "run.lock").exists()


@pytest.mark.slow
@pytest.mark.parametrize("workers, send", [(0, signal.SIGTERM), (2, signal.SIGTERM), (2, signal.SIGINT)])
def test_signal_to_the_process_group_checkpoints(tmp_path, capsys, workers, send):
    out = tmp_path / "out"
    args = ["SOLVER.MAX_ITER", "200", "SOLVER.CHECKPOINT_PERIOD", "1000"]
    proc_out = {}
    if workers == 2 and send == signal.SIGTERM:
        # While it runs, a second run on the same OUTPUT_DIR is refused, naming the first.
        proc = subprocess.Popen(cmd(out, *args, workers=workers), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        deadline = time.time() + 300
        while max(losses(out), default=-1) < 2:
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.02)
        code, err, _ = run_cli(capsys, out, *args)
        one_error_line(code, err, 2, f"OUTPUT_DIR {out} is in use by another run (pid {proc.pid} on {socket.gethostname()}")
        os.killpg(proc.pid, send)
        _, text = proc.communicate(timeout=300)
        proc_out["code"], proc_out["err"] = proc.returncode, printed_lines(text)
    else:
        proc_out["code"], proc_out["err"] = run_group_until(cmd(out, *args, workers=workers), out, 2, send=send)
    assert_preempted(proc_out["code"], proc_out["err"], out, 128 + send, signal.Signals(send).name)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_sigterm_to_the_process_group_with_two_processes(tmp_path, workers):
    out = tmp_path / "out"
    args = ["--num-gpus", "2", "SOLVER.IMS_PER_BATCH", "4", "SOLVER.MAX_ITER", "200", "SOLVER.CHECKPOINT_PERIOD", "1000"]
    code, err = run_group_until(cmd(out, *args, workers=workers), out, 2)
    assert_preempted(code, err, out, 143, "SIGTERM")
