"""Pascal VOC 2012 segmentation in its published layout, and the augmented training set (SBD) when present.

Masks of ``SegmentationClass`` are palette PNGs: their indices are the labels (0 background, 1..20 the
objects, 255 the "void" borders, ignored). ``voc2012_aug_train`` accepts either layout of the SBD
extension (10582 images in the usual split):

* DeepLab's: ``SegmentationClassAug/<id>.png`` listed by ``ImageSets/SegmentationAug/train_aug.txt``;
* mmsegmentation's (``tools/dataset_converters/voc_aug.py``): ``SegmentationClassAug/<id>.png`` listed by
  ``ImageSets/Segmentation/aug.txt``, used together with ``train.txt`` on ``SegmentationClass``.
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple

from ..catalog import DatasetCatalog, MetadataCatalog
from .pairing import UnpairedFilesError
from .root import DatasetNotFoundError, datasets_root, require_dirs

__all__ = ["VOC_CLASSES", "VOC_PALETTE", "load_voc", "register_voc"]

VOC_DIR = os.path.join("VOCdevkit", "VOC2012")
LAYOUT = (
    "VOCdevkit/VOC2012/JPEGImages/<id>.jpg, masks VOCdevkit/VOC2012/SegmentationClass/<id>.png, "
    "splits VOCdevkit/VOC2012/ImageSets/Segmentation/{train,val}.txt (one <id> a line)"
)
AUG_LAYOUT = (
    "VOCdevkit/VOC2012/SegmentationClassAug/<id>.png with VOCdevkit/VOC2012/ImageSets/SegmentationAug/train_aug.txt "
    "(DeepLab) or with VOCdevkit/VOC2012/ImageSets/Segmentation/aug.txt (mmsegmentation), next to the VOC2012 layout"
)
IGNORE_LABEL = 255
_MAX_LISTED = 5

VOC_CLASSES = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)
# The colours of the SegmentationClass palette PNGs for labels 0..20.
VOC_PALETTE = (
    (0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0), (0, 0, 128), (128, 0, 128), (0, 128, 128),
    (128, 128, 128), (64, 0, 0), (192, 0, 0), (64, 128, 0), (192, 128, 0), (64, 0, 128), (192, 0, 128),
    (64, 128, 128), (192, 128, 128), (0, 64, 0), (128, 64, 0), (0, 192, 0), (128, 192, 0), (0, 64, 128),
)
_SPLITS = ("train", "val", "aug_train")


def _read_ids(path: str, dataset: str, layout: str) -> List[str]:
    """Image ids of a split file: one id a line, or DeepLab's ``/JPEGImages/<id>.jpg /Segm.../<id>.png``."""
    if not os.path.isfile(path):
        raise DatasetNotFoundError(f"{dataset}: {os.path.abspath(path)} does not exist; expected layout: {layout}")
    with open(path) as f:
        tokens = [line.split()[0] for line in f if line.strip()]
    return [os.path.splitext(os.path.basename(t))[0] for t in tokens]


def _entries(base: str, ids: List[str], mask_dir: str) -> List[Tuple[str, str]]:
    return [(os.path.join(base, "JPEGImages", i + ".jpg"), os.path.join(base, mask_dir, i + ".png")) for i in ids]


def _aug_entries(base: str) -> List[Tuple[str, str]]:
    dataset = "Pascal VOC 2012 aug_train"
    deeplab = os.path.join(base, "ImageSets", "SegmentationAug", "train_aug.txt")
    mmseg = os.path.join(base, "ImageSets", "Segmentation", "aug.txt")
    require_dirs(dataset, base, ("JPEGImages", "SegmentationClassAug"), AUG_LAYOUT)
    if os.path.isfile(deeplab):
        return _entries(base, _read_ids(deeplab, dataset, AUG_LAYOUT), "SegmentationClassAug")
    if os.path.isfile(mmseg):
        train_ids = _read_ids(os.path.join(base, "ImageSets", "Segmentation", "train.txt"), dataset, AUG_LAYOUT)
        seen = set(train_ids)
        aug_ids = [i for i in _read_ids(mmseg, dataset, AUG_LAYOUT) if i not in seen]
        return _entries(base, train_ids, "SegmentationClass") + _entries(base, aug_ids, "SegmentationClassAug")
    raise DatasetNotFoundError(
        f"Pascal VOC 2012 aug_train: neither {os.path.abspath(deeplab)} nor {os.path.abspath(mmseg)} exists; "
        f"expected layout: {AUG_LAYOUT}"
    )


def _names_in(folder: str, cache: Dict[str, set]) -> set:
    if folder not in cache:
        cache[folder] = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    return cache[folder]


def load_voc(split: str, root: Optional[str] = None) -> List[dict]:
    """Dataset dicts of ``split``: "train", "val" or "aug_train", in the order of the split file(s).

    Ids whose image or mask is missing raise :class:`UnpairedFilesError` listing those files.
    """
    if split not in _SPLITS:
        raise ValueError(f"Pascal VOC 2012 has splits {list(_SPLITS)}, not {split!r}")
    base = os.path.join(root or datasets_root(), VOC_DIR)
    if split == "aug_train":
        entries = _aug_entries(base)
    else:
        dataset = f"Pascal VOC 2012 {split}"
        require_dirs(dataset, base, ("JPEGImages", "SegmentationClass"), LAYOUT)
        split_file = os.path.join(base, "ImageSets", "Segmentation", f"{split}.txt")
        entries = _entries(base, _read_ids(split_file, dataset, LAYOUT), "SegmentationClass")
    listing: Dict[str, set] = {}
    pairs, missing = [], []
    for image, mask in entries:
        absent = [p for p in (image, mask) if os.path.basename(p) not in _names_in(os.path.dirname(p), listing)]
        if absent:
            missing.extend(absent)
        else:
            pairs.append({"file_name": image, "sem_seg_file_name": mask})
    if missing:
        shown = ", ".join(missing[:_MAX_LISTED]) + (", ..." if len(missing) > _MAX_LISTED else "")
        raise UnpairedFilesError(
            f"Pascal VOC 2012 {split}: {len(missing)} listed file(s) missing: {shown}", pairs, missing
        )
    return pairs


def register_voc(root: Optional[str] = None) -> None:
    """Register ``voc2012_train``, ``voc2012_val`` and ``voc2012_aug_train`` (lazily)."""
    for split in _SPLITS:
        name = f"voc2012_{split}"
        if name in DatasetCatalog:
            continue
        DatasetCatalog.register(name, lambda split=split: load_voc(split, root))
        MetadataCatalog.get(name).set(classes=list(VOC_CLASSES), palette=list(VOC_PALETTE), ignore_label=IGNORE_LABEL)
