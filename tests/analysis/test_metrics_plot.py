import importlib.util
import json

import pytest

from seg_engine.analysis import plot_metrics, read_metrics


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_iterations_a_resume_ran_twice_are_kept_once(tmp_path):
    # Killed after iteration 5, resumed from the checkpoint of iteration 3.
    first = [{"iteration": i, "total_loss": 10.0 - i} for i in range(6)]
    first.insert(4, {"iteration": 3, "sem_seg/mIoU": 40.0})
    resumed = [{"iteration": i, "total_loss": 100.0 + i} for i in range(4, 8)]
    write(tmp_path / "metrics.json", first + resumed)
    rows = read_metrics(str(tmp_path / "metrics.json"))
    assert [r["iteration"] for r in rows if "total_loss" in r] == list(range(8))
    assert [r["total_loss"] for r in rows if r["iteration"] >= 4] == [104.0, 105.0, 106.0, 107.0]
    assert [r for r in rows if "sem_seg/mIoU" in r] == [{"iteration": 3, "sem_seg/mIoU": 40.0}]


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason='needs matplotlib: pip install -e ".[plots]"')
def test_plot_writes_a_png_and_names_a_missing_key(tmp_path):
    write(tmp_path / "a.json", [{"iteration": i, "total_loss": 1.0 / (i + 1)} for i in range(5)])
    counts = plot_metrics([str(tmp_path / "a.json")], ["total_loss"], str(tmp_path / "curves.png"))
    assert counts == {"total_loss": 5}
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(KeyError, match="no metrics.json given has the key 'lr'.*total_loss"):
        plot_metrics([str(tmp_path / "a.json")], ["lr"], str(tmp_path / "x.png"))
