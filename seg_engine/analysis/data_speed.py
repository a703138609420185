"""What tools/benchmark_data.py runs. Images per second through the training data pipeline of an ADE20K recipe (decode, augment, collate):

    python tools/benchmark_data.py [--recipe mmseg|semseg|encoding] [--workers 0 1 2] [--num-images 64]

It writes an ADE20K-layout folder of fabricated scenes of ADE's sizes (JPEGs with a 512-pixel short side
and a long side of 512..768, smooth regions, edges and sensor noise, quality 90; PNG masks of labels
0..150) into a temporary folder, builds the train loader of the recipe at a 512 x 512 crop, and times
batches after a warm-up, for each number of workers. ``--profile`` adds the time of each stage in the
main process.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from typing import Dict, List

import cv2
import numpy as np
import torch

from ..config import get_cfg
from ..data import DatasetCatalog, build_train_loader
from ..data.build import build_mapper
from ..data.datasets import DATASETS_ENV_VAR
from ..data.io import read_image, read_mask
from ..data.mapper import map_labels

DATASET = "ade20k_150_train"
RECIPES: Dict[str, dict] = {
    # mmsegmentation configs/_base_/datasets/ade20k.py
    "mmseg": dict(
        RESIZE_MODE="scale", SCALE=(2048, 512), RATIO_RANGE=(0.5, 2.0), CROP_SIZE=(512, 512), CAT_MAX_RATIO=0.75,
        FLIP=True, PHOTOMETRIC=True,
    ),
    # hszhao/semseg tool/train.py (its ADE20K crop is 473; 512 here to compare like with like)
    "semseg": dict(
        RESIZE_MODE="ratio", RATIO_RANGE=(0.5, 2.0), ROTATION=(-10.0, 10.0), ROTATION_PROB=0.5, BLUR_PROB=0.5,
        CROP_SIZE=(512, 512), FLIP=True,
    ),
    # PyTorch-Encoding encoding/datasets/base.py _sync_transform (its ADE20K crop is 480)
    "encoding": dict(RESIZE_MODE="long_side", BASE_SIZE=520, RATIO_RANGE=(0.5, 2.0), CROP_SIZE=(512, 512), FLIP=True),
}


def fabricate_scene(rng: np.random.Generator, h: int, w: int):
    """An RGB image with smooth regions, hard edges and noise, and its mask of ADE-like raw labels."""
    coarse = rng.integers(0, 256, (6, 8, 3)).astype(np.float32)
    image = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    label_grid = rng.integers(1, 151, (5, 7)).astype(np.uint8)
    mask = cv2.resize(label_grid, (w, h), interpolation=cv2.INTER_NEAREST)
    for _ in range(int(rng.integers(6, 14))):
        centre = rng.uniform((0, 0), (w, h), size=(int(rng.integers(3, 7)), 2))
        points = (centre + rng.normal(0, min(h, w) / 6, centre.shape)).astype(np.int32)
        colour = rng.integers(0, 256, 3).tolist()
        cv2.fillPoly(image, [points], colour)
        cv2.fillPoly(mask, [points], int(rng.integers(0, 151)))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    image += (np.sin(xx / rng.uniform(3, 12)) * np.cos(yy / rng.uniform(3, 12)) * 12)[..., None]
    image += rng.normal(0, 4, image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8), mask


def fabricate_ade20k(root: str, count: int, seed: int = 0) -> None:
    """``count`` training pairs in ``root/ADEChallengeData2016``, half landscape, half portrait."""
    base = os.path.join(root, "ADEChallengeData2016")
    image_dir = os.path.join(base, "images", "training")
    mask_dir = os.path.join(base, "annotations", "training")
    os.makedirs(image_dir)
    os.makedirs(mask_dir)
    rng = np.random.default_rng(seed)
    for i in range(count):
        long_side = int(rng.integers(512, 769))
        h, w = (512, long_side) if i % 2 == 0 else (long_side, 512)
        image, mask = fabricate_scene(rng, h, w)
        name = f"ADE_train_{i:08d}"
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        cv2.imwrite(os.path.join(image_dir, name + ".jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        cv2.imwrite(os.path.join(mask_dir, name + ".png"), mask)


def recipe_cfg(recipe: str, batch_size: int, workers: int):
    cfg = get_cfg()
    cfg.DATASETS.TRAIN = (DATASET,)
    cfg.MODEL.NUM_CLASSES = 150
    cfg.SOLVER.IMS_PER_BATCH = batch_size
    cfg.DATALOADER.NUM_WORKERS = workers
    for key, value in RECIPES[recipe].items():
        setattr(cfg.INPUT.TRAIN, key, value)
    return cfg


def images_per_second(cfg, batches: int, warmup: int) -> float:
    loader = build_train_loader(cfg)
    it = iter(loader)
    for _ in range(warmup):
        next(it)
    start = time.perf_counter()
    images = sum(len(next(it)) for _ in range(batches))
    rate = images / (time.perf_counter() - start)
    del it, loader
    return rate


def stage_times(cfg, samples: int) -> Dict[str, float]:
    """Milliseconds per image of each stage, in the main process (no workers)."""
    mapper = build_mapper(cfg, cfg.DATASETS.TRAIN, is_train=True)
    dicts = DatasetCatalog.get(DATASET)[:samples]
    totals = dict.fromkeys(("decode image", "decode + map mask", "augment", "to tensors"), 0.0)
    for i, d in enumerate(dicts):
        t0 = time.perf_counter()
        image = read_image(d["file_name"])
        t1 = time.perf_counter()
        mask = map_labels(read_mask(d["sem_seg_file_name"], mapper.mask_colours), mapper.label_map)
        t2 = time.perf_counter()
        image, mask, _ = mapper.augmentations(image, mask, np.random.default_rng(i))
        t3 = time.perf_counter()
        torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
        torch.from_numpy(mask.astype(np.int64))
        t4 = time.perf_counter()
        for key, dt in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            totals[key] += dt
    return {k: 1000.0 * v / len(dicts) for k, v in totals.items()}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="mmseg")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--num-images", type=int, default=64, help="fabricated training pairs")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--batches", type=int, default=16, help="timed batches per setting")
    parser.add_argument("--warmup", type=int, default=2, help="batches before timing (worker start-up)")
    parser.add_argument("--profile", action="store_true", help="also time each stage in the main process")
    return parser.parse_args(argv)


def main(argv=None) -> List[float]:
    args = parse_args(argv)
    root = tempfile.mkdtemp(prefix="seg_engine_benchmark_data_")
    try:
        fabricate_ade20k(root, args.num_images)
        os.environ[DATASETS_ENV_VAR] = root
        load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
        print(
            f"{args.recipe} recipe, 512 x 512 crop, batch {args.batch_size}, {args.num_images} fabricated ADE20K pairs; "
            f"CPU {cpu_model()} ({os.cpu_count()} cores), OpenCV threads {cv2.getNumThreads()}, "
            f"load average {load[0]:.2f} at start"
        )
        rates = []
        for workers in args.workers:
            rate = images_per_second(recipe_cfg(args.recipe, args.batch_size, workers), args.batches, args.warmup)
            rates.append(rate)
            print(f"  workers {workers}: {rate:7.1f} images/s  ({1000.0 / rate:6.1f} ms/image)")
        if args.profile:
            for stage, ms in stage_times(recipe_cfg(args.recipe, args.batch_size, 0), args.num_images).items():
                print(f"  {stage:>18}: {ms:6.2f} ms/image")
        return rates
    finally:
        shutil.rmtree(root, ignore_errors=True)
