"""Folder datasets: pairing by name, sizes from headers, clear errors, registration from a config."""
import os
import uuid

import numpy as np
import pytest
from PIL import Image

from seg_engine.config import get_cfg
from seg_engine.data import DatasetCatalog, MetadataCatalog
from seg_engine.data.datasets import load_folder, register_folder_dataset, register_folder_from_cfg


def write_pair(root, stem, size=(20, 30), image=True, mask=True, split=""):
    h, w = size
    if image:
        path = os.path.join(root, "images", split, stem + ".jpg")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.fromarray(np.full((h, w, 3), 100, np.uint8)).save(path)
    if mask:
        path = os.path.join(root, "masks", split, stem + ".png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.fromarray(np.zeros((h, w), np.uint8)).save(path)


def unique_name():
    return f"folder_test_{uuid.uuid4().hex[:8]}"


def test_pairs_by_stem_sorted_with_sizes(tmp_path):
    write_pair(tmp_path, "b", (20, 30))
    write_pair(tmp_path, "a", (12, 8))
    write_pair(tmp_path, os.path.join("sub", "c"), (5, 6))
    (tmp_path / "images" / "notes.txt").write_text("not an image")
    dicts = load_folder(str(tmp_path / "images"), str(tmp_path / "masks"))
    assert [os.path.relpath(d["file_name"], tmp_path) for d in dicts] == [
        os.path.join("images", "a.jpg"),
        os.path.join("images", "b.jpg"),
        os.path.join("images", "sub", "c.jpg"),
    ]
    assert [os.path.relpath(d["sem_seg_file_name"], tmp_path) for d in dicts] == [
        os.path.join("masks", "a.png"),
        os.path.join("masks", "b.png"),
        os.path.join("masks", "sub", "c.png"),
    ]
    assert [(d["height"], d["width"]) for d in dicts] == [(12, 8), (20, 30), (5, 6)]


def test_register_is_lazy_and_sets_metadata(tmp_path):
    name = unique_name()
    register_folder_dataset(name, str(tmp_path / "images"), str(tmp_path / "masks"), ["bg", "fg"])
    write_pair(tmp_path, "x")  # written after registration: the scan happens on get
    assert len(DatasetCatalog.get(name)) == 1
    meta = MetadataCatalog.get(name)
    assert meta.classes == ["bg", "fg"] and meta.ignore_label == 255
    assert len(meta.palette) == 2 and len(set(meta.palette)) == 2


def test_missing_image_dir_names_it_and_the_layout(tmp_path):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError) as e:
        load_folder(missing, str(tmp_path))
    assert missing in str(e.value) and "<name>.jpg" in str(e.value)


def test_empty_folder(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    with pytest.raises(ValueError, match="no .jpg images"):
        load_folder(str(tmp_path / "images"), str(tmp_path / "masks"))


def test_unpaired_files_are_listed_with_their_count(tmp_path):
    for i in range(7):
        write_pair(tmp_path, f"img{i}", mask=False)
    write_pair(tmp_path, "ok")
    write_pair(tmp_path, "lonely_mask", image=False)
    with pytest.raises(ValueError) as e:
        load_folder(str(tmp_path / "images"), str(tmp_path / "masks"))
    msg = str(e.value)
    assert "7 image(s) without a .png mask" in msg
    assert "img0, img1, img2, img3, img4, ..." in msg and "img5" not in msg
    assert "1 mask(s) without a .jpg image" in msg and "lonely_mask" in msg


def test_register_from_cfg(tmp_path):
    for split in ("train", "val"):
        write_pair(tmp_path, f"{split}0", split=split)
    name = unique_name()
    cfg = get_cfg()
    assert register_folder_from_cfg(cfg) == []
    cfg.DATASETS.FOLDER.NAME = name
    cfg.DATASETS.FOLDER.ROOT = str(tmp_path)
    cfg.DATASETS.FOLDER.CLASSES = ["bg", "thing"]
    splits = [f"{name}_train", f"{name}_val", f"{name}_test"]
    assert register_folder_from_cfg(cfg) == splits
    assert register_folder_from_cfg(cfg) == splits  # idempotent
    for split in ("train", "val"):
        (d,) = DatasetCatalog.get(f"{name}_{split}")
        assert d["file_name"] == str(tmp_path / "images" / split / f"{split}0.jpg")
        assert MetadataCatalog.get(f"{name}_{split}").classes == ["bg", "thing"]


def test_register_from_cfg_missing_split_fails_on_get(tmp_path):
    write_pair(tmp_path, "t0", split="train")
    cfg = get_cfg()
    cfg.DATASETS.FOLDER.NAME = unique_name()
    cfg.DATASETS.FOLDER.ROOT = str(tmp_path)
    cfg.DATASETS.FOLDER.CLASSES = ["bg"]
    train, val, test = register_folder_from_cfg(cfg)
    assert len(DatasetCatalog.get(train)) == 1
    with pytest.raises(FileNotFoundError, match=os.path.join("images", "val")):
        DatasetCatalog.get(val)
    with pytest.raises(FileNotFoundError, match=os.path.join("images", "test")):
        DatasetCatalog.get(test)
