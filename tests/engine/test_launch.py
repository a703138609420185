import os

import pytest

import importlib

launch_module = importlib.import_module("seg_engine.engine.launch")


def test_single_process_runs_in_place():
    assert launch_module.launch(lambda x: x * 2, 1, args=(21,)) == 42


def test_slurm_variables_become_torchrun_variables(monkeypatch):
    monkeypatch.setattr(os, "environ", dict(os.environ))  # _env_from_slurm writes os.environ
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_PORT", "MASTER_ADDR"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SLURM_PROCID", "5")
    monkeypatch.setenv("SLURM_NTASKS", "8")
    monkeypatch.setenv("SLURM_LOCALID", "1")
    monkeypatch.setenv("SLURM_NTASKS_PER_NODE", "4(x2)")
    assert launch_module.launched_externally()
    with pytest.raises(RuntimeError, match="MASTER_ADDR"):
        launch_module._env_from_slurm()
    monkeypatch.setenv("MASTER_ADDR", "node0")
    monkeypatch.delenv("RANK", raising=False)
    launch_module._env_from_slurm()
    assert [os.environ[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")] == ["5", "8", "1", "4"]


def test_single_slurm_task_is_not_external(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.setenv("SLURM_PROCID", "0")
    monkeypatch.setenv("SLURM_NTASKS", "1")
    assert not launch_module.launched_externally()


def test_slurm_tasks_per_node_is_read_when_ntasks_per_node_is_unset(monkeypatch):
    monkeypatch.setattr(os, "environ", dict(os.environ))
    for key in ("RANK", "LOCAL_WORLD_SIZE", "SLURM_NTASKS_PER_NODE"):
        os.environ.pop(key, None)
    os.environ.update(SLURM_PROCID="9", SLURM_NTASKS="16", SLURM_LOCALID="1", SLURM_TASKS_PER_NODE="8(x2)",
                      MASTER_ADDR="node0")
    launch_module._env_from_slurm()
    assert os.environ["LOCAL_WORLD_SIZE"] == "8"
