"""ADE20K (SceneParsing, ``ADEChallengeData2016``) in its published layout, under two label protocols.

``ade20k_150_{train,val}``: the standard benchmark. Raw label 0 ("other") is ignored and 1..150 become
train ids 0..149 (mmsegmentation's ``reduce_zero_label``), through the metadata ``label_map``.
``ade20k_151_{train,val}``: 151 classes with raw 0 kept as class 0 "background", as some toolboxes report.
"""
from __future__ import annotations

import os
from typing import List, Optional

import numpy as np

from ..catalog import DatasetCatalog, MetadataCatalog
from .pairing import pair_files, scan_files
from .root import datasets_root, require_dirs

__all__ = ["ADE20K_CLASSES", "ADE20K_PALETTE", "ade20k_label_map", "load_ade20k", "register_ade20k"]

ADE20K_DIR = "ADEChallengeData2016"
_SPLIT_DIRS = {"train": "training", "val": "validation"}
LAYOUT = (
    f"{ADE20K_DIR}/images/{{training,validation}}/<name>.jpg with masks "
    f"{ADE20K_DIR}/annotations/{{training,validation}}/<name>.png"
)
IGNORE_LABEL = 255

# The 150 classes of the SceneParsing benchmark (objectInfo150), in train-id order.
ADE20K_CLASSES = (
    "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "windowpane", "grass", "cabinet",
    "sidewalk", "person", "earth", "door", "table", "mountain", "plant", "curtain", "chair", "car", "water",
    "painting", "sofa", "shelf", "house", "sea", "mirror", "rug", "field", "armchair", "seat", "fence",
    "desk", "rock", "wardrobe", "lamp", "bathtub", "railing", "cushion", "base", "box", "column", "signboard",
    "chest of drawers", "counter", "sand", "sink", "skyscraper", "fireplace", "refrigerator", "grandstand",
    "path", "stairs", "runway", "case", "pool table", "pillow", "screen door", "stairway", "river", "bridge",
    "bookcase", "blind", "coffee table", "toilet", "flower", "book", "hill", "bench", "countertop", "stove",
    "palm", "kitchen island", "computer", "swivel chair", "boat", "bar", "arcade machine", "hovel", "bus",
    "towel", "light", "truck", "tower", "chandelier", "awning", "streetlight", "booth", "television receiver",
    "airplane", "dirt track", "apparel", "pole", "land", "bannister", "escalator", "ottoman", "bottle",
    "buffet", "poster", "stage", "van", "ship", "fountain", "conveyer belt", "canopy", "washer", "plaything",
    "swimming pool", "stool", "barrel", "basket", "waterfall", "tent", "bag", "minibike", "cradle", "oven",
    "ball", "food", "step", "tank", "trade name", "microwave", "pot", "animal", "bicycle", "lake",
    "dishwasher", "screen", "blanket", "sculpture", "hood", "sconce", "vase", "traffic light", "tray",
    "ashcan", "fan", "pier", "crt screen", "plate", "monitor", "bulletin board", "shower", "radiator",
    "glass", "clock", "flag",
)
# The benchmark's visualisation colours (RGB), one per class.
ADE20K_PALETTE = (
    (120, 120, 120), (180, 120, 120), (6, 230, 230), (80, 50, 50), (4, 200, 3), (120, 120, 80),
    (140, 140, 140), (204, 5, 255), (230, 230, 230), (4, 250, 7), (224, 5, 255), (235, 255, 7), (150, 5, 61),
    (120, 120, 70), (8, 255, 51), (255, 6, 82), (143, 255, 140), (204, 255, 4), (255, 51, 7), (204, 70, 3),
    (0, 102, 200), (61, 230, 250), (255, 6, 51), (11, 102, 255), (255, 7, 71), (255, 9, 224), (9, 7, 230),
    (220, 220, 220), (255, 9, 92), (112, 9, 255), (8, 255, 214), (7, 255, 224), (255, 184, 6), (10, 255, 71),
    (255, 41, 10), (7, 255, 255), (224, 255, 8), (102, 8, 255), (255, 61, 6), (255, 194, 7), (255, 122, 8),
    (0, 255, 20), (255, 8, 41), (255, 5, 153), (6, 51, 255), (235, 12, 255), (160, 150, 20), (0, 163, 255),
    (140, 140, 140), (250, 10, 15), (20, 255, 0), (31, 255, 0), (255, 31, 0), (255, 224, 0), (153, 255, 0),
    (0, 0, 255), (255, 71, 0), (0, 235, 255), (0, 173, 255), (31, 0, 255), (11, 200, 200), (255, 82, 0),
    (0, 255, 245), (0, 61, 255), (0, 255, 112), (0, 255, 133), (255, 0, 0), (255, 163, 0), (255, 102, 0),
    (194, 255, 0), (0, 143, 255), (51, 255, 0), (0, 82, 255), (0, 255, 41), (0, 255, 173), (10, 0, 255),
    (173, 255, 0), (0, 255, 153), (255, 92, 0), (255, 0, 255), (255, 0, 245), (255, 0, 102), (255, 173, 0),
    (255, 0, 20), (255, 184, 184), (0, 31, 255), (0, 255, 61), (0, 71, 255), (255, 0, 204), (0, 255, 194),
    (0, 255, 82), (0, 10, 255), (0, 112, 255), (51, 0, 255), (0, 194, 255), (0, 122, 255), (0, 255, 163),
    (255, 153, 0), (0, 255, 10), (255, 112, 0), (143, 255, 0), (82, 0, 255), (163, 255, 0), (255, 235, 0),
    (8, 184, 170), (133, 0, 255), (0, 255, 92), (184, 0, 255), (255, 0, 31), (0, 184, 255), (0, 214, 255),
    (255, 0, 112), (92, 255, 0), (0, 224, 255), (112, 224, 255), (70, 184, 160), (163, 0, 255), (153, 0, 255),
    (71, 255, 0), (255, 0, 163), (255, 204, 0), (255, 0, 143), (0, 255, 235), (133, 255, 0), (255, 0, 235),
    (245, 0, 255), (255, 0, 122), (255, 245, 0), (10, 190, 212), (214, 255, 0), (0, 204, 255), (20, 0, 255),
    (255, 255, 0), (0, 153, 255), (0, 41, 255), (0, 255, 204), (41, 0, 255), (41, 255, 0), (173, 0, 255),
    (0, 245, 255), (71, 0, 255), (122, 0, 255), (0, 255, 184), (0, 92, 255), (184, 255, 0), (0, 133, 255),
    (255, 214, 0), (25, 194, 194), (102, 255, 0), (92, 0, 255),
)
_BACKGROUND_COLOUR = (0, 0, 0)


def ade20k_label_map(ignore_label: int = IGNORE_LABEL) -> np.ndarray:
    """The 150-class lookup table: raw 0 -> ``ignore_label``, raw k -> k - 1.

    Raw values above 150 map to k - 1 >= 150, which the mapper reports as labels out of range.
    """
    lut = np.arange(-1, 255, dtype=np.int64)
    lut[0] = ignore_label
    return lut.astype(np.uint8)


def load_ade20k(split: str, root: Optional[str] = None) -> List[dict]:
    """Dataset dicts of ``split`` ("train" or "val"), raw masks (the protocol lives in the metadata)."""
    if split not in _SPLIT_DIRS:
        raise ValueError(f"ADE20K has splits {sorted(_SPLIT_DIRS)}, not {split!r}")
    base = os.path.join(root or datasets_root(), ADE20K_DIR)
    image_dir = os.path.join("images", _SPLIT_DIRS[split])
    mask_dir = os.path.join("annotations", _SPLIT_DIRS[split])
    require_dirs(f"ADE20K {split}", base, (image_dir, mask_dir), LAYOUT)
    images = scan_files(os.path.join(base, image_dir), ".jpg")
    masks = scan_files(os.path.join(base, mask_dir), ".png")
    return pair_files(images, masks, f"ADE20K {split}", LAYOUT)


def register_ade20k(root: Optional[str] = None) -> None:
    """Register ``ade20k_150_{train,val}`` and ``ade20k_151_{train,val}`` (names already registered are
    left alone). Nothing is read until a list is requested; ``root`` None means ``$SEG_ENGINE_DATASETS``
    at that time."""
    for split in _SPLIT_DIRS:
        for protocol in (150, 151):
            name = f"ade20k_{protocol}_{split}"
            if name in DatasetCatalog:
                continue
            DatasetCatalog.register(name, lambda split=split: load_ade20k(split, root))
            meta = MetadataCatalog.get(name)
            if protocol == 150:
                meta.set(
                    classes=list(ADE20K_CLASSES),
                    palette=list(ADE20K_PALETTE),
                    ignore_label=IGNORE_LABEL,
                    label_map=ade20k_label_map(IGNORE_LABEL),
                    submission_format="ade20k",
                )
            else:
                meta.set(
                    classes=["background", *ADE20K_CLASSES],
                    palette=[_BACKGROUND_COLOUR, *ADE20K_PALETTE],
                    ignore_label=IGNORE_LABEL,
                )
