import json
import logging

import pytest

from seg_engine.utils.events import CommonMetricPrinter, EventStorage, JSONWriter, TensorboardWriter


def fill(storage, n):
    for i in range(n):
        storage.iter = i
        storage.put_scalars(total_loss=float(i), loss_a=float(2 * i))
        storage.put_scalar("time", 0.5)
        storage.put_scalar("data_time", 0.1)
        storage.put_scalar("lr", 0.01 * (n - i), smoothing_hint=False)


def test_console_line_has_eta_losses_lr_times_and_memory(caplog):
    with EventStorage() as storage:
        fill(storage, 5)
        with caplog.at_level(logging.INFO, logger="seg_engine.utils.events"):
            CommonMetricPrinter(max_iter=10, window_size=3).write()
    line = caplog.records[-1].getMessage()
    assert "iter: 4" in line and "eta: 0:00:02" in line  # 5 iterations left x 0.5 s
    assert "total_loss: 3" in line and "loss_a: 6" in line  # medians of the last 3
    assert "lr: 0.01" in line and "time: 0.5000" in line and "data_time: 0.1000" in line
    assert "max_rss:" in line or "max_mem:" in line


def test_json_writer_writes_each_new_iteration_once(tmp_path):
    path = tmp_path / "metrics.json"
    writer = JSONWriter(str(path))
    with EventStorage() as storage:
        fill(storage, 3)
        writer.write()
        writer.write()
        fill(storage, 4)
        writer.write()
    writer.close()
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["iteration"] for r in rows] == [2, 3]
    assert rows[0]["total_loss"] == 2.0 and rows[1]["lr"] == pytest.approx(0.01)


def test_tensorboard_writer_writes_event_files(tmp_path):
    pytest.importorskip("tensorboard")
    writer = TensorboardWriter(str(tmp_path))
    with EventStorage() as storage:
        fill(storage, 2)
        writer.write()
    writer.close()
    assert any(p.name.startswith("events.out.tfevents") and p.stat().st_size > 0 for p in tmp_path.iterdir())
