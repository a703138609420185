"""``shapes``: a small synthetic dataset of textured, coloured shapes, generated once into a cache.

It is written as JPEG images and PNG masks so that it goes through the same file path as real
datasets. Each object class has its own hue (jittered) and outline; textures, backgrounds, noise and
occlusion keep the task from being trivial while a small CNN still learns it in minutes on a CPU.
"""
from __future__ import annotations

import colorsys
import json
import logging
import os
import shutil
import tempfile
import uuid
from typing import Dict, List, Optional

import cv2
import numpy as np
from tqdm import tqdm

from ..catalog import DatasetCatalog, MetadataCatalog

logger = logging.getLogger(__name__)

__all__ = [
    "SHAPES_CLASSES",
    "SHAPES_PALETTE",
    "default_root",
    "load_shapes",
    "prepare_shapes",
    "register_shapes",
    "render_sample",
]

VERSION = 1
SEED = 20240601
IMAGE_SIZE = 96
NUM_TRAIN = 300
NUM_VAL = 60
SPLITS = ("train", "val")
JPEG_QUALITY = 90
MARKER = "COMPLETE.json"

SHAPES_CLASSES: List[str] = ["background", "circle", "rectangle", "triangle", "ring", "cross", "star"]
# Visualisation colours; the object colours echo each class's base hue.
SHAPES_PALETTE: List[tuple] = [
    (0, 0, 0),
    (230, 40, 40),
    (220, 220, 40),
    (40, 200, 40),
    (40, 210, 210),
    (50, 60, 230),
    (210, 50, 210),
]

# Base hue of object class k (1..6) in degrees: evenly spaced so that colour is a strong cue.
_HUE_STEP = 360.0 / (len(SHAPES_CLASSES) - 1)
_HUE_JITTER = 10.0
_SUBPIXEL_BITS = 4  # cv2 drawing in 1/16 pixel for smooth outlines


def default_root() -> str:
    """``$SEG_ENGINE_CACHE/shapes/v{VERSION}``, by default under ``~/.cache/seg_engine``."""
    cache = os.environ.get("SEG_ENGINE_CACHE") or os.path.join("~", ".cache", "seg_engine")
    return os.path.join(os.path.expanduser(cache), "shapes", f"v{VERSION}")


def _counts(num_train: Optional[int], num_val: Optional[int]) -> Dict[str, int]:
    return {"train": NUM_TRAIN if num_train is None else num_train, "val": NUM_VAL if num_val is None else num_val}


def _marker(counts: Dict[str, int]) -> dict:
    return {"version": VERSION, "seed": SEED, "image_size": IMAGE_SIZE, "counts": counts}


def _is_complete(root: str, marker: dict) -> bool:
    try:
        with open(os.path.join(root, MARKER)) as f:
            return json.load(f) == marker
    except (OSError, ValueError):
        return False


def _rgb(hue_deg: float, sat: float, val: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb((hue_deg % 360.0) / 360.0, sat, val), dtype=np.float32) * 255.0


def _texture(rng: np.random.Generator, colour: np.ndarray, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """An HxWx3 float fill in shades of ``colour``: solid, stripes, checker or per-pixel noise."""
    kind = rng.integers(4)
    if kind == 0:
        shade = np.ones(yy.shape, np.float32)
    elif kind == 1:
        angle = rng.uniform(0, np.pi)
        period = rng.uniform(4, 10)
        phase = (xx * np.cos(angle) + yy * np.sin(angle)) / period
        shade = np.where(np.floor(phase * 2) % 2 == 0, 1.0, rng.uniform(0.5, 0.8)).astype(np.float32)
    elif kind == 2:
        cell = int(rng.integers(3, 9))
        shade = np.where((yy // cell + xx // cell) % 2 == 0, 1.0, rng.uniform(0.5, 0.8)).astype(np.float32)
    else:
        shade = np.clip(1.0 + rng.normal(0, 0.15, yy.shape), 0.4, 1.3).astype(np.float32)
    return shade[..., None] * colour


def _background(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """A low-saturation linear gradient or smooth blotchy texture."""
    size = yy.shape[0]
    c0 = _rgb(rng.uniform(0, 360), rng.uniform(0, 0.3), rng.uniform(0.2, 0.9))
    c1 = _rgb(rng.uniform(0, 360), rng.uniform(0, 0.3), rng.uniform(0.2, 0.9))
    if rng.random() < 0.5:
        angle = rng.uniform(0, 2 * np.pi)
        t = (xx * np.cos(angle) + yy * np.sin(angle)) / size
        t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    else:
        grid = rng.random((int(rng.integers(3, 7)),) * 2).astype(np.float32)
        t = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    return c0 + t[..., None] * (c1 - c0)


def _shape_mask(rng: np.random.Generator, cls: int, size: int) -> np.ndarray:
    """A uint8 0/1 mask of one randomly sized, placed and rotated shape of class ``cls``."""
    radius = rng.uniform(8, 22)
    centre = rng.uniform(0.12 * size, 0.88 * size, size=2)
    angle = rng.uniform(0, 2 * np.pi)
    scale = 1 << _SUBPIXEL_BITS
    canvas = np.zeros((size, size), np.uint8)
    name = SHAPES_CLASSES[cls]
    if name in ("circle", "ring"):
        c = tuple(int(v) for v in np.round(centre * scale))
        cv2.circle(canvas, c, int(radius * scale), 1, -1, cv2.LINE_8, _SUBPIXEL_BITS)
        if name == "ring":
            inner = radius * rng.uniform(0.45, 0.65)
            cv2.circle(canvas, c, int(inner * scale), 0, -1, cv2.LINE_8, _SUBPIXEL_BITS)
        return canvas
    if name == "rectangle":
        aspect = rng.uniform(0.5, 1.0)
        pts = np.array([[-1, -aspect], [1, -aspect], [1, aspect], [-1, aspect]]) * radius * 0.85
    elif name == "triangle":
        a = np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        pts = np.stack([np.cos(a), np.sin(a)], 1) * radius
    elif name == "cross":
        w = rng.uniform(0.3, 0.45)
        pts = np.array(
            [[-w, -1], [w, -1], [w, -w], [1, -w], [1, w], [w, w], [w, 1], [-w, 1], [-w, w], [-1, w], [-1, -w], [-w, -w]]
        ) * radius
    else:  # star
        a = np.arange(10) * np.pi / 5
        r = np.where(np.arange(10) % 2 == 0, 1.0, rng.uniform(0.4, 0.5))
        pts = np.stack([np.cos(a) * r, np.sin(a) * r], 1) * radius
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    pts = (pts @ rot.T + centre) * scale
    cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 1, cv2.LINE_8, _SUBPIXEL_BITS)
    return canvas


def render_sample(rng: np.random.Generator, size: int = IMAGE_SIZE) -> tuple:
    """One (RGB uint8 HxWx3 image, uint8 HxW mask) pair drawn from ``rng``."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    image = _background(rng, yy, xx)
    mask = np.zeros((size, size), np.uint8)
    for _ in range(int(rng.integers(2, 6))):
        cls = int(rng.integers(1, len(SHAPES_CLASSES)))
        hue = (cls - 1) * _HUE_STEP + rng.uniform(-_HUE_JITTER, _HUE_JITTER)
        colour = _rgb(hue, rng.uniform(0.55, 1.0), rng.uniform(0.55, 1.0))
        fill = _texture(rng, colour, yy, xx)
        region = _shape_mask(rng, cls, size).astype(bool)
        image[region] = fill[region]
        mask[region] = cls
    image += rng.normal(0, rng.uniform(2, 8), image.shape).astype(np.float32)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8), mask


def _write_split(folder: str, split: int, count: int) -> None:
    os.makedirs(os.path.join(folder, "images"))
    os.makedirs(os.path.join(folder, "masks"))
    for i in tqdm(range(count), desc=f"shapes {SPLITS[split]}", unit="img", mininterval=2):
        # One independent stream per image: a sample does not depend on the split sizes.
        rng = np.random.default_rng([SEED, split, i])
        image, mask = render_sample(rng, IMAGE_SIZE)
        cv2.imwrite(
            os.path.join(folder, "images", f"{i:05d}.jpg"),
            cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY],
        )
        cv2.imwrite(os.path.join(folder, "masks", f"{i:05d}.png"), mask)


def _install(tmp: str, root: str, marker: dict) -> None:
    """Rename the finished ``tmp`` to ``root``, replacing a stale ``root``; yield to a concurrent winner."""
    for _ in range(5):
        try:
            os.rename(tmp, root)
            return
        except OSError:
            if not os.path.isdir(root):
                raise
        if _is_complete(root, marker):
            return
        stale = f"{root}.stale-{uuid.uuid4().hex}"
        try:
            os.rename(root, stale)
        except FileNotFoundError:
            continue
        shutil.rmtree(stale, ignore_errors=True)
    raise RuntimeError(f"could not install the shapes dataset into {root}")


def prepare_shapes(root: Optional[str] = None, num_train: Optional[int] = None, num_val: Optional[int] = None) -> str:
    """Generate the dataset into ``root`` (default :func:`default_root`) unless complete; return ``root``.

    Safe when several processes call it at once: each builds in a temporary sibling folder and renames
    it into place; whoever loses the race discards its copy. A folder without a matching marker (an
    older version, other counts, an interrupted copy) is rebuilt.
    """
    root = os.path.abspath(root or default_root())
    marker = _marker(_counts(num_train, num_val))
    if _is_complete(root, marker):
        return root
    parent = os.path.dirname(root)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(root)}.tmp-", dir=parent)
    try:
        logger.info(f"Generating the shapes dataset into {root} (once)")
        for split, name in enumerate(SPLITS):
            _write_split(os.path.join(tmp, name), split, marker["counts"][name])
        with open(os.path.join(tmp, MARKER), "w") as f:
            json.dump(marker, f)
        _install(tmp, root, marker)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def load_shapes(split: str, root: Optional[str] = None) -> List[dict]:
    """The dataset dicts of ``split`` ("train" or "val"), generating the dataset first if needed."""
    if split not in SPLITS:
        raise ValueError(f"shapes has splits {SPLITS}, not {split!r}")
    root = prepare_shapes(root)
    count = _counts(None, None)[split]
    return [
        {
            "file_name": os.path.join(root, split, "images", f"{i:05d}.jpg"),
            "sem_seg_file_name": os.path.join(root, split, "masks", f"{i:05d}.png"),
            "height": IMAGE_SIZE,
            "width": IMAGE_SIZE,
        }
        for i in range(count)
    ]


def register_shapes(root: Optional[str] = None) -> None:
    """Register ``shapes_train`` and ``shapes_val`` (names already registered are left alone).

    ``root`` is the folder that holds the generated files; None means :func:`default_root` at the time
    the list is first requested, so generation happens on ``DatasetCatalog.get``, not on import.
    """
    for split in SPLITS:
        name = f"shapes_{split}"
        if name in DatasetCatalog:
            continue
        DatasetCatalog.register(name, lambda split=split: load_shapes(split, root))
        MetadataCatalog.get(name).set(classes=list(SHAPES_CLASSES), palette=list(SHAPES_PALETTE), ignore_label=255)
