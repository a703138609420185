"""What tools/check_dataset.py runs: scan a registered dataset for problems and report its class pixel frequencies:

    python tools/check_dataset.py NAME [--num-workers N] [--config-file X.yaml] [--plugin P]

Reports images without masks (and masks without images), missing and unreadable files, masks whose size
differs from their image's, and labels outside the classes after the dataset's label map; then a table
of pixels and images per class. Exits with 1 when it found a problem, 2 when the dataset cannot be listed.
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import numpy as np
from tabulate import tabulate
from tqdm import tqdm

from ..config import ConfigError, get_cfg, load_config
from .catalog import DatasetCatalog, MetadataCatalog
from .datasets import UnpairedFilesError, register_folder_from_cfg
from .io import BadSampleError, read_image, read_mask
from .mapper import check_labels, check_same_size, map_labels
from ..plugins import PluginError, load_plugins

Problem = Tuple[str, str]  # (kind, message)

_label_map: Optional[np.ndarray] = None
_mask_colours: Optional[tuple] = None
_num_classes = 0
_ignore_label = 255


def _init_worker(label_map: Optional[np.ndarray], num_classes: int, ignore_label: int,
                 mask_colours: Optional[tuple] = None) -> None:
    global _label_map, _num_classes, _ignore_label, _mask_colours
    _label_map, _num_classes, _ignore_label, _mask_colours = label_map, num_classes, ignore_label, mask_colours


def _attempt(problems: List[Problem], fn, *args):
    """``fn(*args)``, or None with the problem recorded when it raises a BadSampleError."""
    try:
        return fn(*args)
    except BadSampleError as e:
        problems.append((e.kind, str(e)))
        return None


def check_sample(d: dict) -> Tuple[List[Problem], np.ndarray]:
    """The problems of one sample and its pixel count per class (the last entry: ignore pixels)."""
    problems: List[Problem] = []
    counts = np.zeros(_num_classes + 1, np.int64)
    image_path, mask_path = d["file_name"], d["sem_seg_file_name"]
    image = _attempt(problems, read_image, image_path)
    raw = _attempt(problems, read_mask, mask_path, _mask_colours)
    labels = None if raw is None else _attempt(problems, map_labels, raw, _label_map, mask_path)
    if labels is None:
        return problems, counts
    if image is not None:
        _attempt(problems, check_same_size, image, labels, image_path, mask_path)
    _attempt(problems, check_labels, labels, _num_classes, _ignore_label, mask_path)
    flat = labels.ravel().astype(np.int64, copy=False)
    counts[:_num_classes] = np.bincount(flat[(flat >= 0) & (flat < _num_classes)], minlength=_num_classes)
    counts[_num_classes] = int((flat == _ignore_label).sum())
    return problems, counts


def scan(dicts: List[dict], label_map, num_classes: int, ignore_label: int, num_workers: int, mask_colours=None):
    """Problems by kind, pixels per class, images per class; ``num_workers`` processes share the work.
    ``mask_colours`` decodes colour masks (a folder dataset's DATASETS.FOLDER.PALETTE)."""
    problems: Dict[str, List[str]] = defaultdict(list)
    pixels = np.zeros(num_classes + 1, np.int64)
    images = np.zeros(num_classes + 1, np.int64)
    init = (label_map, num_classes, ignore_label, mask_colours)
    if num_workers > 1:
        chunk = max(1, min(64, len(dicts) // (4 * num_workers)))
        with multiprocessing.Pool(num_workers, initializer=_init_worker, initargs=init) as pool:
            results = list(tqdm(pool.imap_unordered(check_sample, dicts, chunksize=chunk), total=len(dicts),
                                desc="check", unit="img", mininterval=2))
    else:
        _init_worker(*init)
        results = [check_sample(d) for d in tqdm(dicts, desc="check", unit="img", mininterval=2)]
    for sample_problems, counts in results:
        for kind, message in sample_problems:
            problems[kind].append(message)
        pixels += counts
        images += counts > 0
    return problems, pixels, images


def frequency_table(classes: List[str], ignore_label: int, pixels: np.ndarray, images: np.ndarray) -> str:
    """Pixels, share of all pixels and images per class; ignore pixels on the last row."""
    total = max(int(pixels.sum()), 1)
    names = [(i, name) for i, name in enumerate(classes)] + [("", f"ignore ({ignore_label})")]
    rows = [[i, name, int(n), f"{100.0 * n / total:.2f}%", int(k)] for (i, name), n, k in zip(names, pixels, images)]
    headers = ["id", "class", "pixels", "share", "images"]
    return tabulate(rows, headers=headers, tablefmt="pipe", colalign=("right", "left"))


def check_dataset(args: argparse.Namespace) -> int:
    """Scan ``args.name`` (with ``args.config_file``, ``args.plugin``, ``args.num_workers``, ``args.max_listed``),
    print the report; returns the exit status: 0 clean, 1 problems found, 2 the dataset cannot be listed."""
    try:
        if args.config_file:
            cfg = load_config(args.config_file, plugins=args.plugin)
        else:
            load_plugins(args.plugin)
            cfg = get_cfg()
        register_folder_from_cfg(cfg)
    except (ConfigError, PluginError, FileNotFoundError, ValueError) as e:
        print(f"check_dataset: error: {e}", file=sys.stderr)
        return 2

    problems: Dict[str, List[str]] = defaultdict(list)
    try:
        dicts = DatasetCatalog.get(args.name)
    except UnpairedFilesError as e:
        dicts = e.pairs
        problems["missing pair"].extend(f"{path}: no counterpart" for path in e.unpaired)
    except (KeyError, FileNotFoundError, ValueError) as e:
        print(f"check_dataset: error: {e.args[0] if isinstance(e, KeyError) else e}", file=sys.stderr)
        return 2

    meta = MetadataCatalog.get(args.name)
    classes = meta.get("classes") or [str(i) for i in range(cfg.MODEL.NUM_CLASSES)]
    ignore_label = meta.get("ignore_label", cfg.MODEL.IGNORE_VALUE)
    label_map = meta.get("label_map")
    workers = max(1, args.num_workers)
    start = time.perf_counter()
    found, pixels, images = scan(dicts, label_map, len(classes), ignore_label, workers, meta.get("mask_colours"))
    for kind, messages in found.items():
        problems[kind].extend(messages)
    print(
        f"Checked {len(dicts)} samples of {args.name} ({len(classes)} classes, ignore label {ignore_label}"
        f"{', with a label map' if label_map is not None else ''}) with {workers} process(es) in "
        f"{time.perf_counter() - start:.1f} s."
    )
    print("\nClass pixel frequencies (after the label map):")
    print(frequency_table(list(classes), ignore_label, pixels, images))
    absent = [name for name, n in zip(classes, images[:-1]) if n == 0]
    if absent:
        print(f"\n{len(absent)} class(es) appear in no mask: {', '.join(absent)}")
    count = sum(len(v) for v in problems.values())
    if not count:
        print("\nNo problems found.")
        return 0
    print(f"\n{count} problem(s):")
    for kind in sorted(problems):
        messages = sorted(problems[kind])
        print(f"  {kind} ({len(messages)}):")
        for message in messages[: args.max_listed]:
            print(f"    {message}")
        if len(messages) > args.max_listed:
            print(f"    ... and {len(messages) - args.max_listed} more")
    return 1
