"""Bad input stops with one error naming the file(s) and values, or, with DATALOADER.SKIP_BAD_SAMPLES,
is skipped (replaced deterministically in training, left out in testing), counted and reported."""
import logging
import os
import uuid

import numpy as np
import pytest
import torch
from PIL import Image

from seg_engine.config import get_cfg
from seg_engine.data import build_test_loader, build_train_loader
from seg_engine.data.io import BadSampleError, LabelOutOfRangeError, SizeMismatchError, UnreadableFileError
from seg_engine.data.mapper import SemSegDatasetMapper
from seg_engine.data.transforms import AugmentationList, ResizeShortSide


def write_pair(root, split, stem, image_size=(20, 24), mask=None):
    image_path = os.path.join(root, "images", split, f"{stem}.jpg")
    mask_path = os.path.join(root, "masks", split, f"{stem}.png")
    os.makedirs(os.path.dirname(image_path), exist_ok=True)
    os.makedirs(os.path.dirname(mask_path), exist_ok=True)
    h, w = image_size
    Image.fromarray(np.full((h, w, 3), 120, np.uint8)).save(image_path)
    labels = np.zeros((h, w), np.uint8) if mask is None else mask
    Image.fromarray(labels).save(mask_path)
    return {"file_name": image_path, "sem_seg_file_name": mask_path}


def mapper(num_classes=3, label_map=None, is_train=True, augs=()):
    return SemSegDatasetMapper(AugmentationList(list(augs)), is_train, num_classes, 255, label_map)


def test_size_mismatch_names_both_files_and_sizes(tmp_path):
    d = write_pair(tmp_path, "train", "a", (20, 24), mask=np.zeros((20, 25), np.uint8))
    with pytest.raises(SizeMismatchError) as e:
        mapper()(d)
    assert str(e.value) == f"image {d['file_name']} is 24x20 but its mask {d['sem_seg_file_name']} is 25x20 (WxH)"


def test_labels_out_of_range_are_listed(tmp_path):
    labels = np.array([[0, 1, 2, 255], [7, 3, 7, 200]], np.uint8)
    d = write_pair(tmp_path, "train", "a", (2, 4), mask=labels)
    with pytest.raises(LabelOutOfRangeError, match=r"a.png has labels \[3, 7, 200\] outside 0..2 and the ignore label 255"):
        mapper()(d)


def test_sixteen_bit_masks_map_and_check(tmp_path):
    d = write_pair(tmp_path, "train", "a", (2, 3))
    Image.fromarray(np.array([[0, 2, 1], [255, 1, 0]], np.uint16)).save(d["sem_seg_file_name"])
    out = mapper()(d)
    # The smallest dtype holding the labels crosses from the workers; the model converts it.
    assert out["sem_seg"].dtype == torch.uint8 and out["sem_seg"].tolist() == [[0, 2, 1], [255, 1, 0]]
    Image.fromarray(np.array([[0, 300, 1], [255, 1, 0]], np.uint16)).save(d["sem_seg_file_name"])
    out = mapper(num_classes=1000)(d)
    assert out["sem_seg"].dtype == torch.uint16 and out["sem_seg"].to(torch.int64).tolist() == [[0, 300, 1], [255, 1, 0]]
    lut = np.arange(256, dtype=np.uint8)
    with pytest.raises(LabelOutOfRangeError, match=r"raw values \[300\] beyond the dataset's label map \(0..255\)"):
        mapper(label_map=lut)(d)
    with pytest.raises(LabelOutOfRangeError, match=r"labels \[300\] outside 0..2"):
        mapper()(d)


def test_test_mapper_resizes_the_image_only(tmp_path):
    labels = np.random.default_rng(0).integers(0, 3, (20, 24)).astype(np.uint8)
    d = write_pair(tmp_path, "val", "a", (20, 24), mask=labels)
    out = mapper(is_train=False, augs=[ResizeShortSide(10)])(d)
    assert tuple(out["image"].shape) == (3, 10, 12)
    assert out["sem_seg"].numpy().tolist() == labels.tolist() and (out["height"], out["width"]) == (20, 24)


@pytest.fixture
def folder(tmp_path):
    """A folder dataset: 6 good training pairs and 3 bad ones, 3 good validation pairs and 1 bad one."""
    root = str(tmp_path)
    bad = {}
    for i in range(6):
        write_pair(root, "train", f"good{i}", mask=np.full((20, 24), i % 3, np.uint8))
    truncated = write_pair(root, "train", "truncated")
    with open(truncated["file_name"], "rb") as f:
        data = f.read()
    with open(truncated["file_name"], "wb") as f:
        f.write(data[: len(data) // 2])
    bad["truncated"] = truncated["file_name"]
    bad["mismatch"] = write_pair(root, "train", "mismatch", mask=np.zeros((21, 24), np.uint8))["sem_seg_file_name"]
    bad["labels"] = write_pair(root, "train", "labels", mask=np.full((20, 24), 9, np.uint8))["sem_seg_file_name"]
    for i in range(3):
        write_pair(root, "val", f"v{i}")
    bad["val"] = write_pair(root, "val", "v_bad", mask=np.full((20, 24), 5, np.uint8))["sem_seg_file_name"]
    return root, bad


def folder_cfg(root, skip, workers=0):
    cfg = get_cfg()
    name = f"bad_samples_{uuid.uuid4().hex[:8]}"
    cfg.DATASETS.FOLDER.NAME = name
    cfg.DATASETS.FOLDER.ROOT = root
    cfg.DATASETS.FOLDER.CLASSES = ["a", "b", "c"]
    cfg.DATASETS.TRAIN = (f"{name}_train",)
    cfg.MODEL.NUM_CLASSES = 3
    cfg.INPUT.TRAIN.CROP_SIZE = (16, 16)
    cfg.INPUT.TRAIN.RATIO_RANGE = (0.75, 1.25)
    cfg.SOLVER.IMS_PER_BATCH = 3
    cfg.TEST.IMS_PER_BATCH = 2
    cfg.DATALOADER.NUM_WORKERS = workers
    cfg.DATALOADER.SKIP_BAD_SAMPLES = skip
    return cfg, f"{name}_val"


def stream(loader, batches):
    it = iter(loader)
    return [[os.path.basename(x["file_name"]) for x in next(it)] for _ in range(batches)]


def test_without_skipping_the_first_bad_sample_stops_training(folder):
    root, bad = folder
    cfg, _ = folder_cfg(root, skip=False)
    with pytest.raises(BadSampleError) as e:
        stream(build_train_loader(cfg), 6)
    assert any(path in str(e.value) for path in bad.values())


@pytest.fixture
def build_log():
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    log = logging.getLogger("seg_engine.data.build")
    log.addHandler(handler)
    yield records
    log.removeHandler(handler)


def test_skipping_replaces_bad_samples_deterministically_and_counts_them(folder, build_log):
    root, bad = folder
    cfg, _ = folder_cfg(root, skip=True)
    loader = build_train_loader(cfg)
    first = stream(loader, 12)  # 36 samples: every bad file comes up at least 3 times
    assert all(len(b) == 3 and all(n.startswith("good") for n in b) for b in first)
    kinds = {type_: [m for m in loader.skipped if path in m] for type_, path in bad.items() if type_ != "val"}
    assert all(len(found) >= 1 for found in kinds.values()), loader.skipped
    assert len(loader.skipped) == sum(len(v) for v in kinds.values())
    messages = [r.getMessage() for r in build_log]
    assert any(m.startswith("Skipping a bad sample: cannot decode image") and bad["truncated"] in m for m in messages)
    # Each bad file is drawn several times in 36 samples but reported once, when first met.
    assert len(loader.skipped) > len(kinds)
    for path in (p for t, p in bad.items() if t != "val"):
        assert sum(m.startswith("Skipping a bad sample") and path in m for m in messages) == 1, messages
    assert any(m.endswith(f"bad file(s) so far in {cfg.DATASETS.TRAIN[0]}; each is reported once)") for m in messages)
    # The replacements come from each sample's own generator: a second loader gives the same stream.
    assert stream(build_train_loader(cfg), 12) == first


def test_skipping_is_the_same_with_a_worker(folder):
    root, _ = folder
    cfg, _ = folder_cfg(root, skip=True)
    in_main = stream(build_train_loader(cfg), 4)
    cfg, _ = folder_cfg(root, skip=True, workers=1)
    loader = build_train_loader(cfg)
    assert stream(loader, 4) == in_main
    assert len(loader.skipped) > 0  # the messages crossed from the worker to the main process


def test_skipping_leaves_bad_test_samples_out(folder, build_log):
    root, bad = folder
    cfg, val = folder_cfg(root, skip=True)
    loader = build_test_loader(cfg, val)
    names = [os.path.basename(x["file_name"]) for b in loader for x in b]
    assert names == ["v0.jpg", "v1.jpg", "v2.jpg"]
    assert len(loader.skipped) == 1 and bad["val"] in loader.skipped[0]
    assert f"1 bad sample(s) skipped in {val} in all (1 distinct file(s))" in [r.getMessage() for r in build_log]
    cfg, val = folder_cfg(root, skip=False)
    with pytest.raises(LabelOutOfRangeError, match="v_bad.png has labels"):
        list(build_test_loader(cfg, val))


def test_unreadable_mask_is_a_bad_sample(tmp_path):
    d = write_pair(tmp_path, "train", "a")
    with open(d["sem_seg_file_name"], "wb") as f:
        f.write(b"\x89PNG garbage")
    with pytest.raises(UnreadableFileError, match="cannot decode mask .*a.png"):
        mapper()(d)
