"""Training samples as pictures: image | mask | overlay, after the augmentations or as annotated."""
from __future__ import annotations

import os
from typing import List

import numpy as np
from PIL import Image
from tqdm import tqdm

from ..utils.visualizer import colorize, overlay
from .build import build_mapper, build_train_loader, get_dataset_dicts
from .datasets import register_folder_from_cfg
from .palette import display_palette

SOURCES = ("dataloader", "annotation")


def side_by_side(image: np.ndarray, labels: np.ndarray, palette, ignore_label: int) -> np.ndarray:
    """image | coloured mask (ignored pixels white) | overlay, one H x 3W x 3 uint8 picture."""
    return np.concatenate(
        [image, colorize(labels, palette, ignore_label), overlay(image, labels, palette, 0.5, ignore_label)], axis=1
    )


def visualize_data(cfg, output: str, source: str = "dataloader", num_images: int = 16, progress: bool = True) -> List[str]:
    """Write ``num_images`` pictures of the first training dataset to ``output``: ``dataloader`` shows the
    samples the training loader yields (the augmentations drawn from SEED, so the same seed gives the
    same files), ``annotation`` the raw images and masks (mapped to train ids). Returns the files."""
    if source not in SOURCES:
        raise ValueError(f"--source must be one of {SOURCES}, got {source!r}")
    register_folder_from_cfg(cfg)
    name = cfg.DATASETS.TRAIN[0]
    palette = display_palette(cfg, name)
    ignore = cfg.MODEL.IGNORE_VALUE
    os.makedirs(output, exist_ok=True)
    if source == "dataloader":
        cfg = cfg.clone()
        cfg.defrost()
        cfg.SOLVER.IMS_PER_BATCH = 1
        samples = (batch[0] for batch in build_train_loader(cfg))
        pairs = ((s["image"].numpy().transpose(1, 2, 0), s["sem_seg"].numpy(), s["file_name"]) for s in samples)
    else:
        mapper = build_mapper(cfg, [name], is_train=False)
        dicts = get_dataset_dicts([name])
        pairs = ((*mapper.load(d), d["file_name"]) for d in dicts)
    written = []
    for i, (image, labels, file_name) in enumerate(tqdm(pairs, total=num_images, desc=source, disable=not progress)):
        if i >= num_images:
            break
        stem = os.path.splitext(os.path.basename(file_name))[0]
        path = os.path.join(output, f"{i:04d}_{stem}.png")
        Image.fromarray(side_by_side(np.ascontiguousarray(image), labels, palette, ignore)).save(path)
        written.append(path)
    return written
