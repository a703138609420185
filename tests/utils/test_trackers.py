"""W&B and MLflow writers: metrics.json's raw values with their iteration, in the trackers' offline
modes (each test skips when its optional extra is absent), and a tracker that is not installed is one
line at start-up."""
import importlib.util
import json
import os
import sys
import types

import pytest

from seg_engine.config import ConfigError, get_cfg, validate_values
from seg_engine.utils.events import EventStorage, JSONWriter, MLflowWriter, WandbWriter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_wandb = pytest.mark.skipif(importlib.util.find_spec("wandb") is None,
                                 reason='the W&B writer needs the [wandb] extra: pip install -e ".[wandb]"')
needs_mlflow = pytest.mark.skipif(importlib.util.find_spec("mlflow") is None,
                                  reason='the MLflow writer needs the [mlflow] extra: pip install -e ".[mlflow]"')


def log_five_iterations(writers):
    """Losses every iteration, an mIoU at iteration 3, the writers called at 1, 3 and the end (4)."""
    with EventStorage(0) as storage:
        for it in range(5):
            storage.iter = it
            storage.put_scalars(total_loss=1.0 / (it + 1), loss_sem_seg=0.5 / (it + 1))
            if it == 3:
                storage.put_scalar("sem_seg/mIoU", 55.5, smoothing_hint=False)
            if it in (1, 3, 4):
                for w in writers:
                    w.write()
    for w in writers:
        w.close()


def json_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_wandb_writer_logs_the_json_lines_with_their_iteration_as_step(tmp_path, monkeypatch):
    """The calls into wandb, recorded by a stand-in module (the real one is tested offline below)."""
    calls = []

    class Run:
        def log(self, values, step):
            calls.append(("log", dict(values), step))

        def finish(self):
            calls.append(("finish",))

    def init(**kwargs):
        calls.append(("init", kwargs))
        return Run()

    monkeypatch.setitem(sys.modules, "wandb", types.SimpleNamespace(init=init))
    log_five_iterations([WandbWriter(str(tmp_path), "proj", "run1", {"SOLVER": {"BASE_LR": 0.01}}),
                         JSONWriter(str(tmp_path / "metrics.json"))])
    assert calls[0] == ("init", {"project": "proj", "name": "run1", "dir": str(tmp_path),
                                 "config": {"SOLVER": {"BASE_LR": 0.01}}})
    logged = [(step, values) for _, values, step in calls[1:-1]]
    assert logged == [(row.pop("iteration"), row) for row in json_lines(tmp_path / "metrics.json")]
    assert [s for s, _ in logged] == [1, 3, 4] and logged[1][1]["sem_seg/mIoU"] == 55.5
    assert calls[-1] == ("finish",)


@needs_wandb
def test_wandb_offline_run_is_written_to_the_output_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    log_five_iterations([WandbWriter(str(tmp_path), "proj", "run1", {"SOLVER": {"BASE_LR": 0.01}})])
    (run_dir,) = [p for p in (tmp_path / "wandb").iterdir() if p.name.startswith("offline-run-")]
    (records,) = run_dir.glob("run-*.wandb")
    data = records.read_bytes()  # protobuf records: keys and JSON values are stored as they are
    for piece in (b"total_loss", b"sem_seg/mIoU", b"55.5", b"run1", b"BASE_LR"):
        assert piece in data, piece


@needs_mlflow
def test_mlflow_file_store_holds_the_json_lines_params_and_config(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = f"file:{tmp_path / 'mlruns'}"
    (tmp_path / "config.yaml").write_text("SOLVER:\n  BASE_LR: 0.01\n")
    writer = MLflowWriter(uri, "proj", "run1", {"SOLVER.BASE_LR": 0.01}, str(tmp_path / "config.yaml"))
    log_five_iterations([writer, JSONWriter(str(tmp_path / "metrics.json"))])
    client = MlflowClient(uri)
    run = client.get_run(writer.run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "run1" and run.data.params == {"SOLVER.BASE_LR": "0.01"}
    lines = json_lines(tmp_path / "metrics.json")
    for key in ("total_loss", "loss_sem_seg", "sem_seg/mIoU"):
        history = [(m.step, m.value) for m in client.get_metric_history(writer.run_id, key)]
        assert sorted(history) == [(row["iteration"], row[key]) for row in lines if key in row]
    assert [a.path for a in client.list_artifacts(writer.run_id)] == ["config.yaml"]


@needs_mlflow
def test_train_net_with_the_mlflow_tracker(tmp_path, monkeypatch):
    """TRACKERS.NAMES ["mlflow"] with no URI: a file store in OUTPUT_DIR/mlruns, the run named after
    OUTPUT_DIR, its metrics those of metrics.json."""
    from mlflow.tracking import MlflowClient

    from seg_engine.utils.testing import load_train_net

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "my_run"
    code = load_train_net().cli([
        "--config-file", os.path.join(ROOT, "configs", "Demo", "fcn_shapes.yaml"), "TRACKERS.NAMES", "['mlflow']",
        "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "3", "SOLVER.WARMUP_ITERS", "0", "INPUT.TRAIN.CROP_SIZE", "(33, 49)",
        "TEST.EVAL_PERIOD", "0", "DATASETS.TEST", "()", "LOG_PERIOD", "1", "MODEL.RESNETS.BASE_WIDTH", "8",
        "MODEL.HEAD.CHANNELS", "8", "MODEL.AUX_HEAD.CHANNELS", "8", "DATALOADER.NUM_WORKERS", "0", "OUTPUT_DIR", str(out)])
    assert code == 0
    client = MlflowClient(f"file:{out / 'mlruns'}")
    (run,) = client.search_runs([client.get_experiment_by_name("seg_engine").experiment_id])
    assert run.info.run_name == "my_run" and run.data.params["SOLVER.MAX_ITER"] == "3"
    history = [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "total_loss")]
    assert sorted(history) == [(row["iteration"], row["total_loss"]) for row in json_lines(out / "metrics.json")]


def test_a_tracker_that_is_not_installed_or_unknown_is_one_line(monkeypatch):
    cfg = get_cfg()
    cfg.merge_from_list(["TRACKERS.NAMES", "['comet']"])
    with pytest.raises(ConfigError, match="TRACKERS.NAMES must be a list of 'wandb', 'mlflow' \\('comet' is not a tracker\\)"):
        validate_values(cfg)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real_find_spec(name, *a))
    cfg.merge_from_list(["TRACKERS.NAMES", "['wandb']"])
    with pytest.raises(ConfigError, match='wandb is not: pip install -e "\\.\\[wandb\\]"'):
        validate_values(cfg)
