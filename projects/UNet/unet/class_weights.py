"""LinkNet's (and ENet's) class weights: w_c = 1 / ln(c + hist_c / max(hist)), c = 1.02 (model.lua)."""
from __future__ import annotations

from typing import Iterable, List, Optional

import numpy as np

from seg_engine.data.build import _label_map, get_dataset_dicts
from seg_engine.data.io import read_mask
from seg_engine.data.mapper import map_labels


def linknet_class_weights(histogram: Iterable[float], c: float = 1.02) -> List[float]:
    """Weights from per-class pixel counts; a class absent from the counts gets 1 / ln(c), the largest."""
    hist = np.asarray(list(histogram), dtype=np.float64)
    if hist.ndim != 1 or not len(hist) or hist.max() <= 0 or (hist < 0).any():
        raise ValueError(f"class histogram must be non-negative counts, some positive; got {hist.tolist()!r}")
    return (1.0 / np.log(c + hist / hist.max())).tolist()


def label_histogram(dataset_names: Iterable[str], num_classes: int, ignore_label: Optional[int] = 255) -> np.ndarray:
    """Pixel counts of train ids 0..num_classes-1 over the masks of the named datasets (ignore left out)."""
    names = list(dataset_names)
    label_map = _label_map(names)
    hist = np.zeros(num_classes, dtype=np.int64)
    for d in get_dataset_dicts(names):
        labels = map_labels(read_mask(d["sem_seg_file_name"]), label_map, d["sem_seg_file_name"]).ravel()
        labels = labels[(labels != ignore_label) & (labels < num_classes)]
        hist += np.bincount(labels.astype(np.int64), minlength=num_classes)
    return hist
