"""Checkpoints written by mmengine 1.x load their tensors without running pickled code."""
import sys
import types

import numpy as np
import pytest
import torch
from torch import nn

from seg_engine.checkpoint import CheckpointError, Checkpointer, load_torch_file
from seg_engine.checkpoint.safe_load import Placeholder


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3))
        self.head = nn.Conv2d(4, 2, 1)


def fake_module(monkeypatch, dotted: str, cls_name: str, events: list) -> type:
    """A class ``dotted.cls_name`` whose unpickling would leave a trace in ``events``."""
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        monkeypatch.setitem(sys.modules, ".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))

    def setstate(self, state):
        events.append(f"{cls_name}.__setstate__ ran")
        self.__dict__.update(state)

    cls = type(cls_name, (), {"__module__": dotted, "__setstate__": setstate})
    setattr(sys.modules[dotted], cls_name, cls)
    return cls


def test_an_mmengine_checkpoint_loads_its_tensors_and_no_pickled_code_runs(tmp_path, monkeypatch):
    events = []
    HistoryBuffer = fake_module(monkeypatch, "mmengine.logging.history_buffer", "HistoryBuffer", events)
    buffer = HistoryBuffer()
    buffer._log_history, buffer._count_history, buffer.max_length = np.array([0.9, 0.7]), np.array([1, 1]), 1000000
    src = Net()
    checkpoint = {
        "meta": {"mmengine_version": "0.10.4", "seed": np.int64(0), "epoch_time": np.float64(2.5),
                 "dataset_meta": {"classes": ("a", "b")}},
        "state_dict": src.state_dict(),
        "message_hub": {"log_scalars": {"train/loss": buffer}, "runtime_info": {"iter": 80000}},
    }
    path = str(tmp_path / "iter_80000.pth")
    torch.save(checkpoint, path)
    with pytest.raises(Exception, match="Unsupported global"):  # what plain weights-only loading says
        torch.load(path, weights_only=True)

    loaded = load_torch_file(path)  # the fake mmengine is importable: it is still not used
    assert isinstance(loaded["message_hub"]["log_scalars"]["train/loss"], Placeholder)
    assert isinstance(loaded["meta"]["seed"], Placeholder)
    assert loaded["meta"]["dataset_meta"] == {"classes": ("a", "b")}
    assert events == []
    dst = Net()
    Checkpointer(dst).load(path)
    for key, value in src.state_dict().items():
        assert torch.equal(dst.state_dict()[key], value), key


def test_a_checkpoint_holding_other_classes_is_refused_with_the_class_named(tmp_path, monkeypatch):
    events = []
    Gadget = fake_module(monkeypatch, "gadgets.payload", "Gadget", events)
    path = str(tmp_path / "gadget.pth")
    torch.save({"state_dict": Net().state_dict(), "extra": Gadget()}, path)
    message = f"checkpoint {path} holds pickled objects of gadgets.payload.Gadget; loading them could run code, so it is refused"
    with pytest.raises(CheckpointError) as error:
        load_torch_file(path)
    assert str(error.value) == message
    with pytest.raises(CheckpointError) as error:
        Checkpointer(Net()).load(path)
    assert str(error.value) == message
    assert events == []


def test_bytes_that_are_no_checkpoint_still_say_so(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"\x80\x02junk that is not a pickle")
    with pytest.raises(CheckpointError, match="cannot be loaded: not a torch file, or truncated or damaged"):
        Checkpointer(Net()).load(str(path))
