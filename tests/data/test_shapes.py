"""The built-in shapes dataset: deterministic, complete, and safe to generate from several processes."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import seg_engine
from seg_engine.data import DatasetCatalog, MetadataCatalog
from seg_engine.data.datasets import SHAPES_CLASSES, shapes

REPO = os.path.dirname(os.path.dirname(os.path.abspath(seg_engine.__file__)))


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(shapes, "NUM_TRAIN", 12)
    monkeypatch.setattr(shapes, "NUM_VAL", 4)


def read_bytes(dicts, key):
    out = []
    for d in dicts:
        with open(d[key], "rb") as f:
            out.append(f.read())
    return out


def test_generated_lazily_and_deterministically(small, monkeypatch, tmp_path):
    generated = []
    for cache in ("a", "b"):
        monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path / cache))
        assert not (tmp_path / cache).exists()  # registered on import, generated on get
        train, val = DatasetCatalog.get("shapes_train"), DatasetCatalog.get("shapes_val")
        assert len(train) == 12 and len(val) == 4
        assert train[0]["file_name"].startswith(str(tmp_path / cache / "shapes" / "v1" / "train" / "images"))
        generated.append(train + val)
    assert read_bytes(generated[0], "sem_seg_file_name") == read_bytes(generated[1], "sem_seg_file_name")
    assert read_bytes(generated[0], "file_name") == read_bytes(generated[1], "file_name")


def test_metadata():
    for name in ("shapes_train", "shapes_val"):
        meta = MetadataCatalog.get(name)
        assert meta.classes == SHAPES_CLASSES and len(SHAPES_CLASSES) == 7
        assert len(set(meta.palette)) == 7 and meta.ignore_label == 255


def test_default_split_is_complete(tmp_path):
    root = shapes.prepare_shapes(str(tmp_path / "shapes"))
    seen = np.zeros(len(SHAPES_CLASSES), np.int64)
    for split, count in (("train", shapes.NUM_TRAIN), ("val", shapes.NUM_VAL)):
        dicts = shapes.load_shapes(split, root)
        assert len(dicts) == count
        for d in dicts:
            with Image.open(d["file_name"]) as im:
                assert im.mode == "RGB" and im.format == "JPEG"
                assert im.size == (d["width"], d["height"]) == (shapes.IMAGE_SIZE,) * 2
            mask = np.asarray(Image.open(d["sem_seg_file_name"]))
            assert mask.shape == (d["height"], d["width"]) and mask.dtype == np.uint8
            assert mask.max() < len(SHAPES_CLASSES)  # fully labelled: no ignore pixels
            if split == "train":
                seen += np.bincount(mask.ravel(), minlength=len(SHAPES_CLASSES))
    assert (seen > 0).all()


def test_stale_or_partial_folder_is_rebuilt(small, tmp_path):
    root = tmp_path / "shapes"
    (root / "train").mkdir(parents=True)
    (root / "junk").write_text("left by an interrupted run")
    shapes.prepare_shapes(str(root))
    assert not (root / "junk").exists() and len(os.listdir(root / "train" / "masks")) == 12
    # A complete folder with other counts is rebuilt too.
    shapes.prepare_shapes(str(root), num_train=3)
    assert json.loads((root / shapes.MARKER).read_text())["counts"] == {"train": 3, "val": 4}
    assert len(os.listdir(root / "train" / "images")) == 3
    assert os.listdir(tmp_path) == ["shapes"]


def test_losing_the_race_keeps_the_winner(small, monkeypatch, tmp_path):
    root = str(tmp_path / "shapes")
    real_write = shapes._write_split

    def write_while_another_process_wins(folder, split, count):
        if not os.path.exists(root):
            monkeypatch.setattr(shapes, "_write_split", real_write)
            shapes.prepare_shapes(root)
            open(os.path.join(root, "winner"), "w").close()
            monkeypatch.setattr(shapes, "_write_split", write_while_another_process_wins)
        real_write(folder, split, count)

    monkeypatch.setattr(shapes, "_write_split", write_while_another_process_wins)
    assert shapes.prepare_shapes(root) == root
    assert os.path.exists(os.path.join(root, "winner"))
    assert os.listdir(tmp_path) == ["shapes"]


def test_concurrent_processes_leave_one_valid_folder(small, tmp_path):
    root = str(tmp_path / "shapes")
    code = "import sys; from seg_engine.data.datasets import shapes; shapes.prepare_shapes(sys.argv[1], 12, 4)"
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    procs = [subprocess.Popen([sys.executable, "-c", code, root], cwd=REPO, env=env) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert os.listdir(tmp_path) == ["shapes"]
    installed = os.stat(root).st_ino
    reference = shapes.prepare_shapes(str(tmp_path / "reference"))
    for split in ("train", "val"):
        got, want = shapes.load_shapes(split, root), shapes.load_shapes(split, reference)
        for key in ("file_name", "sem_seg_file_name"):
            assert read_bytes(got, key) == read_bytes(want, key)
    assert os.stat(root).st_ino == installed  # found complete, not rebuilt
