"""tools/check_dataset.py: finds each kind of problem in an ADE20K-layout tree, with several processes,
reports class pixel frequencies after the label map, and exits non-zero when it found problems."""
import importlib.util
import os
import sys

import numpy as np
import pytest
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("check_dataset_tool", os.path.join(ROOT, "tools", "check_dataset.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # worker processes find check_sample by its module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def write(root, stem, mask, image_size=None, split="validation"):
    base = root / "ADEChallengeData2016"
    (base / "images" / split).mkdir(parents=True, exist_ok=True)
    (base / "annotations" / split).mkdir(parents=True, exist_ok=True)
    if image_size is not None:
        Image.fromarray(np.full((*image_size, 3), 80, np.uint8)).save(base / "images" / split / f"{stem}.jpg")
    if mask is not None:
        Image.fromarray(np.asarray(mask, np.uint8)).save(base / "annotations" / split / f"{stem}.png")


@pytest.fixture
def ade_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_DATASETS", str(tmp_path))
    for i in range(4):  # raw 1 (wall) on the left, raw 3 (sky) on the right, a row of raw 0 (ignored)
        mask = np.ones((8, 10), np.uint8)
        mask[:, 5:] = 3
        mask[0] = 0
        write(tmp_path, f"good{i}", mask, (8, 10))
    return tmp_path


def test_clean_dataset_reports_frequencies_and_exits_zero(tool, ade_tree, capsys):
    assert tool.main(["ade20k_150_val", "--num-workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "Checked 4 samples of ade20k_150_val (150 classes, ignore label 255, with a label map) with 2 process(es)" in out
    assert "No problems found." in out
    rows = {line.split("|")[2].strip(): line for line in out.splitlines() if line.startswith("|") and "---" not in line}
    # Per image: 7 rows x 5 columns of wall (train id 0), 7 x 5 of sky (2), 10 ignored pixels.
    assert [c.strip() for c in rows["wall"].split("|")[1:6]] == ["0", "wall", "140", "43.75%", "4"]
    assert [c.strip() for c in rows["sky"].split("|")[1:6]] == ["2", "sky", "140", "43.75%", "4"]
    assert [c.strip() for c in rows["building"].split("|")[3:6]] == ["0", "0.00%", "0"]
    assert [c.strip() for c in rows["ignore (255)"].split("|")[3:6]] == ["40", "12.50%", "4"]
    assert "148 class(es) appear in no mask: building, floor" in out


def test_every_problem_is_reported_and_exits_one(tool, ade_tree, capsys):
    write(ade_tree, "no_mask", None, (8, 10))
    write(ade_tree, "no_image", np.ones((8, 10)), None)
    write(ade_tree, "mismatch", np.ones((9, 10)), (8, 10))
    write(ade_tree, "out_of_range", np.full((8, 10), 160), (8, 10))
    write(ade_tree, "broken", np.ones((8, 10)), (8, 10))
    (ade_tree / "ADEChallengeData2016" / "images" / "validation" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    assert tool.main(["ade20k_150_val", "--num-workers", "2"]) == 1
    out = capsys.readouterr().out
    assert "Checked 7 samples" in out and "5 problem(s):" in out
    assert "  missing pair (2):" in out and "no_mask.jpg: no counterpart" in out and "no_image.png: no counterpart" in out
    assert "  size mismatch (1):" in out and "mismatch.jpg is 10x8 but its mask" in out
    assert "  labels out of range (1):" in out and "out_of_range.png has labels [159] outside 0..149" in out
    assert "  unreadable file (1):" in out and "cannot decode image" in out and "broken.jpg" in out
    # The 151-class protocol reads raw labels: 160 is out of its range too, 0 is background.
    assert tool.main(["ade20k_151_val", "--num-workers", "1"]) == 1
    out = capsys.readouterr().out
    assert "out_of_range.png has labels [160] outside 0..150" in out
    assert "| background " in out


def test_unknown_or_missing_dataset_exits_two(tool, tmp_path, monkeypatch, capsys):
    assert tool.main(["no_such_dataset"]) == 2
    assert "dataset 'no_such_dataset' is not registered" in capsys.readouterr().err
    monkeypatch.setenv("SEG_ENGINE_DATASETS", str(tmp_path / "empty"))
    assert tool.main(["cityscapes_fine_val"]) == 2
    err = capsys.readouterr().err
    assert "check_dataset: error: Cityscapes val:" in err and "SEG_ENGINE_DATASETS" in err


def test_folder_dataset_from_a_config_file(tool, tmp_path, capsys):
    for split in ("train", "val"):
        (tmp_path / "images" / split).mkdir(parents=True)
        (tmp_path / "masks" / split).mkdir(parents=True)
        Image.fromarray(np.full((6, 6, 3), 50, np.uint8)).save(tmp_path / "images" / split / "a.jpg")
        Image.fromarray(np.eye(6, dtype=np.uint8)).save(tmp_path / "masks" / split / "a.png")
    config = tmp_path / "roofs.yaml"
    config.write_text(
        f'DATASETS:\n  FOLDER:\n    NAME: "roofs_check"\n    ROOT: "{tmp_path}"\n    CLASSES: ["ground", "roof"]\n'
    )
    assert tool.main(["roofs_check_val", "--config-file", str(config), "--num-workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "Checked 1 samples of roofs_check_val (2 classes, ignore label 255)" in out
    assert "|    1 | roof " in out and "No problems found." in out
