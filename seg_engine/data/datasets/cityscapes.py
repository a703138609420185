"""Cityscapes (fine annotations) in its published layout, with the 19 evaluation classes.

Masks are the official ``*_gtFine_labelIds.png``; the metadata ``label_map`` turns label ids into the 19
train ids on load (every other id becomes the ignore label), so no ``labelTrainIds`` files are needed.
"""
from __future__ import annotations

import os
from typing import List, Optional

import numpy as np

from ..catalog import DatasetCatalog, MetadataCatalog
from .pairing import pair_files, scan_files
from .root import datasets_root, require_dirs

__all__ = ["CITYSCAPES_CLASSES", "CITYSCAPES_PALETTE", "cityscapes_label_map", "load_cityscapes", "register_cityscapes"]

CITYSCAPES_DIR = "cityscapes"
IMAGE_SUFFIX = "_leftImg8bit.png"
MASK_SUFFIX = "_gtFine_labelIds.png"
_SPLITS = ("train", "val")
LAYOUT = (
    f"{CITYSCAPES_DIR}/leftImg8bit/{{train,val}}/<city>/<name>{IMAGE_SUFFIX} with masks "
    f"{CITYSCAPES_DIR}/gtFine/{{train,val}}/<city>/<name>{MASK_SUFFIX}"
)
IGNORE_LABEL = 255

CITYSCAPES_CLASSES = (
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
    "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
)
CITYSCAPES_PALETTE = (
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153), (153, 153, 153),
    (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152), (70, 130, 180), (220, 20, 60),
    (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32),
)
# Label id (cityscapesScripts' labels.py) of each train id, in train-id order.
_LABEL_ID_OF_TRAIN_ID = (7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33)


def cityscapes_label_map(ignore_label: int = IGNORE_LABEL) -> np.ndarray:
    """A 256-entry lookup table from label id to train id, ``ignore_label`` for every other id."""
    lut = np.full(256, ignore_label, dtype=np.uint8)
    lut[list(_LABEL_ID_OF_TRAIN_ID)] = np.arange(len(_LABEL_ID_OF_TRAIN_ID))
    return lut


def load_cityscapes(split: str, root: Optional[str] = None) -> List[dict]:
    """Dataset dicts of the fine ``split``: "train" or "val", paired by city and frame name, or "test",
    the images alone (its public masks are blank: predictions go to the benchmark server)."""
    if split not in _SPLITS + ("test",):
        raise ValueError(f"Cityscapes has splits {list(_SPLITS) + ['test']}, not {split!r}")
    base = os.path.join(root or datasets_root(), CITYSCAPES_DIR)
    image_dir = os.path.join("leftImg8bit", split)
    if split == "test":
        require_dirs("Cityscapes test", base, (image_dir,), LAYOUT.replace("{train,val}", "test"))
        images = scan_files(os.path.join(base, image_dir), IMAGE_SUFFIX)
        return [{"file_name": images[key]} for key in sorted(images)]
    mask_dir = os.path.join("gtFine", split)
    require_dirs(f"Cityscapes {split}", base, (image_dir, mask_dir), LAYOUT)
    images = scan_files(os.path.join(base, image_dir), IMAGE_SUFFIX)
    masks = scan_files(os.path.join(base, mask_dir), MASK_SUFFIX)
    return pair_files(images, masks, f"Cityscapes {split}", LAYOUT)


def register_cityscapes(root: Optional[str] = None) -> None:
    """Register ``cityscapes_fine_{train,val,test}`` (lazily; names already registered are left alone)."""
    for split in _SPLITS + ("test",):
        name = f"cityscapes_fine_{split}"
        if name in DatasetCatalog:
            continue
        DatasetCatalog.register(name, lambda split=split: load_cityscapes(split, root))
        MetadataCatalog.get(name).set(
            classes=list(CITYSCAPES_CLASSES),
            palette=list(CITYSCAPES_PALETTE),
            ignore_label=IGNORE_LABEL,
            label_map=cityscapes_label_map(IGNORE_LABEL),
            submission_format="cityscapes",
        )
