"""ADE20K, Cityscapes and Pascal VOC in their published layouts: lazy registration, pairing, the label
mapping of each protocol, and the one error a missing root gives."""
import os

import numpy as np
import pytest
from PIL import Image

from seg_engine.data import DatasetCatalog, MetadataCatalog
from seg_engine.data.datasets import (
    ADE20K_CLASSES,
    CITYSCAPES_CLASSES,
    VOC_CLASSES,
    DatasetNotFoundError,
    UnpairedFilesError,
)
from seg_engine.data.mapper import SemSegDatasetMapper
from seg_engine.data.transforms import AugmentationList


def write_image(path, h, w):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 90, np.uint8)).save(path)


def write_mask(path, labels, palette=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    im = Image.fromarray(np.asarray(labels, np.uint8), "P" if palette else "L")
    if palette:
        im.putpalette([c for i in range(256) for c in ((i * 7) % 256, (i * 53) % 256, (i * 101) % 256)])
    im.save(path)


def mapped(name, num_classes, d):
    meta = MetadataCatalog.get(name)
    mapper = SemSegDatasetMapper(AugmentationList([]), False, num_classes, meta.ignore_label, meta.get("label_map"))
    return mapper(d)["sem_seg"].numpy()


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_DATASETS", str(tmp_path))
    return tmp_path


RAW_ADE = np.array([[0, 1, 150], [37, 0, 2]], np.uint8)


def make_ade(root, split="training", stems=("ADE_a", "ADE_b")):
    for stem in stems:
        write_image(str(root / "ADEChallengeData2016" / "images" / split / f"{stem}.jpg"), 2, 3)
        write_mask(str(root / "ADEChallengeData2016" / "annotations" / split / f"{stem}.png"), RAW_ADE)


def test_ade20k_two_protocols(root):
    make_ade(root)
    make_ade(root, "validation", ("ADE_v",))
    train = DatasetCatalog.get("ade20k_150_train")
    assert [os.path.basename(d["file_name"]) for d in train] == ["ADE_a.jpg", "ADE_b.jpg"]
    assert train[0]["sem_seg_file_name"].endswith(os.path.join("annotations", "training", "ADE_a.png"))
    assert len(DatasetCatalog.get("ade20k_151_val")) == 1
    # 150 classes: raw 0 ignored, k -> k - 1.
    assert mapped("ade20k_150_train", 150, train[0]).tolist() == [[255, 0, 149], [36, 255, 1]]
    # 151 classes: raw labels kept, 0 is "background".
    assert mapped("ade20k_151_train", 151, train[0]).tolist() == RAW_ADE.tolist()
    m150, m151 = MetadataCatalog.get("ade20k_150_val"), MetadataCatalog.get("ade20k_151_val")
    assert len(m150.classes) == 150 and m150.classes[:3] == ["wall", "building", "sky"] and m150.classes[-1] == "flag"
    assert m151.classes == ["background", *ADE20K_CLASSES] and len(m151.palette) == 151 and len(m150.palette) == 150
    assert m150.label_map[0] == 255 and m150.label_map[151] == 150 and m151.get("label_map") is None


def test_ade20k_raw_label_above_150_is_out_of_range(root):
    make_ade(root, stems=("ADE_a",))
    write_mask(str(root / "ADEChallengeData2016" / "annotations" / "training" / "ADE_a.png"), [[0, 151, 3]])
    write_image(str(root / "ADEChallengeData2016" / "images" / "training" / "ADE_a.jpg"), 1, 3)
    (d,) = DatasetCatalog.get("ade20k_150_train")
    with pytest.raises(ValueError, match=r"ADE_a.png has labels \[150\] outside 0..149"):
        mapped("ade20k_150_train", 150, d)


def test_ade20k_unpaired_files_are_listed(root):
    make_ade(root, stems=("ADE_a", "ADE_b"))
    os.remove(root / "ADEChallengeData2016" / "annotations" / "training" / "ADE_b.png")
    write_mask(str(root / "ADEChallengeData2016" / "annotations" / "training" / "ADE_orphan.png"), RAW_ADE)
    with pytest.raises(UnpairedFilesError) as e:
        DatasetCatalog.get("ade20k_150_train")
    assert "1 image(s) without a mask" in str(e.value) and "ADE_b.jpg" in str(e.value)
    assert "1 mask(s) without an image" in str(e.value) and "ADE_orphan.png" in str(e.value)
    assert [os.path.basename(p["file_name"]) for p in e.value.pairs] == ["ADE_a.jpg"]


@pytest.mark.parametrize(
    "name, looked_in, layout",
    [
        ("ade20k_150_train", os.path.join("ADEChallengeData2016", "images", "training"), "annotations/{training,"),
        ("ade20k_151_val", os.path.join("ADEChallengeData2016", "images", "validation"), "ADEChallengeData2016/images"),
        ("cityscapes_fine_val", os.path.join("cityscapes", "leftImg8bit", "val"), "_gtFine_labelIds.png"),
        ("voc2012_train", os.path.join("VOCdevkit", "VOC2012", "JPEGImages"), "ImageSets/Segmentation/{train,val}.txt"),
        ("voc2012_aug_train", os.path.join("VOCdevkit", "VOC2012", "JPEGImages"), "SegmentationAug/train_aug.txt"),
    ],
)
def test_missing_root_names_path_layout_and_variable(root, name, looked_in, layout):
    with pytest.raises(DatasetNotFoundError) as e:
        DatasetCatalog.get(name)
    msg = str(e.value)
    assert str(root / looked_in) in msg and layout in msg and "SEG_ENGINE_DATASETS" in msg
    assert isinstance(e.value, FileNotFoundError) and "\n" not in msg


def test_registration_reads_nothing_until_listed(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_DATASETS", str(tmp_path / "later"))
    for name in ("ade20k_150_train", "cityscapes_fine_train", "voc2012_val", "voc2012_aug_train"):
        assert name in DatasetCatalog
    make_ade(tmp_path / "later")  # created after registration: found on get
    assert len(DatasetCatalog.get("ade20k_150_train")) == 2


def test_cityscapes_label_ids_become_train_ids(root):
    base = root / "cityscapes"
    frames = (("train", "aachen", "000000_000019"), ("train", "bremen", "000001_000019"), ("val", "lindau", "000000_000019"))
    for split, city, number in frames:
        frame = f"{city}_{number}"
        write_image(str(base / "leftImg8bit" / split / city / f"{frame}_leftImg8bit.png"), 1, 6)
        write_mask(str(base / "gtFine" / split / city / f"{frame}_gtFine_labelIds.png"), [[7, 26, 0, 33, 9, 24]])
        # The other gtFine files of the release are not masks of this protocol.
        write_mask(str(base / "gtFine" / split / city / f"{frame}_gtFine_instanceIds.png"), [[0] * 6])
    train = DatasetCatalog.get("cityscapes_fine_train")
    assert [os.path.basename(d["file_name"]) for d in train] == [
        "aachen_000000_000019_leftImg8bit.png",
        "bremen_000001_000019_leftImg8bit.png",
    ]
    assert train[1]["sem_seg_file_name"].endswith(os.path.join("bremen", "bremen_000001_000019_gtFine_labelIds.png"))
    assert mapped("cityscapes_fine_train", 19, train[0]).tolist() == [[0, 13, 255, 18, 255, 11]]
    meta = MetadataCatalog.get("cityscapes_fine_val")
    assert meta.classes == list(CITYSCAPES_CLASSES) and len(meta.classes) == 19
    assert len(DatasetCatalog.get("cityscapes_fine_val")) == 1
    assert [int(meta.label_map[i]) for i in (7, 8, 11, 23, 31, 32, 33)] == [0, 1, 2, 10, 16, 17, 18]
    evaluated = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33]
    assert meta.label_map[evaluated].tolist() == list(range(19)) and (np.delete(meta.label_map, evaluated) == 255).all()


VOC_LABELS = np.array([[0, 15, 255], [3, 3, 20]], np.uint8)


def make_voc(root, train=("2007_000032", "2007_000039"), val=("2007_000033",)):
    base = root / "VOCdevkit" / "VOC2012"
    for stem in (*train, *val):
        write_image(str(base / "JPEGImages" / f"{stem}.jpg"), 2, 3)
        write_mask(str(base / "SegmentationClass" / f"{stem}.png"), VOC_LABELS, palette=True)
    (base / "ImageSets" / "Segmentation").mkdir(parents=True)
    (base / "ImageSets" / "Segmentation" / "train.txt").write_text("\n".join(train) + "\n")
    (base / "ImageSets" / "Segmentation" / "val.txt").write_text("\n".join(val) + "\n")
    return base


def test_voc_splits_and_palette_indices(root):
    make_voc(root)
    train = DatasetCatalog.get("voc2012_train")
    assert [os.path.basename(d["file_name"]) for d in train] == ["2007_000032.jpg", "2007_000039.jpg"]
    assert [os.path.basename(d["file_name"]) for d in DatasetCatalog.get("voc2012_val")] == ["2007_000033.jpg"]
    assert mapped("voc2012_train", 21, train[0]).tolist() == VOC_LABELS.tolist()
    meta = MetadataCatalog.get("voc2012_val")
    assert meta.classes == list(VOC_CLASSES) and len(meta.classes) == 21 and meta.palette[15] == (192, 128, 128)


def test_voc_listed_but_missing_files(root):
    base = make_voc(root)
    os.remove(base / "JPEGImages" / "2007_000039.jpg")
    with pytest.raises(UnpairedFilesError, match=r"1 listed file\(s\) missing: .*2007_000039.jpg"):
        DatasetCatalog.get("voc2012_train")


def test_voc_aug_deeplab_layout(root):
    base = make_voc(root)
    for stem in ("2008_000001", "2007_000032"):
        write_image(str(base / "JPEGImages" / f"{stem}.jpg"), 2, 3)
        write_mask(str(base / "SegmentationClassAug" / f"{stem}.png"), VOC_LABELS)  # grayscale, as SBD converts
    (base / "ImageSets" / "SegmentationAug").mkdir()
    (base / "ImageSets" / "SegmentationAug" / "train_aug.txt").write_text(
        "/JPEGImages/2008_000001.jpg /SegmentationClassAug/2008_000001.png\n"
        "/JPEGImages/2007_000032.jpg /SegmentationClassAug/2007_000032.png\n"
    )
    aug = DatasetCatalog.get("voc2012_aug_train")
    assert [os.path.relpath(d["sem_seg_file_name"], base) for d in aug] == [
        os.path.join("SegmentationClassAug", "2008_000001.png"),
        os.path.join("SegmentationClassAug", "2007_000032.png"),
    ]
    assert mapped("voc2012_aug_train", 21, aug[0]).tolist() == VOC_LABELS.tolist()


def test_voc_aug_mmseg_layout(root):
    base = make_voc(root)
    for stem in ("2008_000001", "2007_000039"):
        write_image(str(base / "JPEGImages" / f"{stem}.jpg"), 2, 3)
        write_mask(str(base / "SegmentationClassAug" / f"{stem}.png"), VOC_LABELS)
    (base / "ImageSets" / "Segmentation" / "aug.txt").write_text("2008_000001\n2007_000039\n")
    aug = DatasetCatalog.get("voc2012_aug_train")
    # train.txt on SegmentationClass, then aug.txt on SegmentationClassAug without the ids already listed.
    assert [os.path.relpath(d["sem_seg_file_name"], base) for d in aug] == [
        os.path.join("SegmentationClass", "2007_000032.png"),
        os.path.join("SegmentationClass", "2007_000039.png"),
        os.path.join("SegmentationClassAug", "2008_000001.png"),
    ]


def test_voc_aug_without_a_list_names_both_layouts(root):
    base = make_voc(root)
    (base / "SegmentationClassAug").mkdir()
    with pytest.raises(DatasetNotFoundError, match="train_aug.txt nor .*aug.txt exists"):
        DatasetCatalog.get("voc2012_aug_train")
