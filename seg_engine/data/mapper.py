"""SemSegDatasetMapper: one dataset dict -> the tensors the model takes."""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from .io import BadSampleError, read_image, read_mask
from .transforms import AugmentationList


class SemSegDatasetMapper:
    """Reads, maps labels, augments image and mask alike, returns
    ``{"image": uint8 3xHxW, "sem_seg": int64 HxW, "height", "width", "file_name"}``.

    ``height``/``width`` are the original size. At test time ``sem_seg`` is the original mask,
    never resized; only the image goes through the (deterministic) test augmentations.
    """

    def __init__(
        self,
        augmentations: AugmentationList,
        is_train: bool,
        num_classes: int,
        ignore_label: int = 255,
        label_map: Optional[np.ndarray] = None,
    ) -> None:
        self.augmentations = augmentations
        self.is_train = is_train
        self.num_classes = num_classes
        self.ignore_label = ignore_label
        self.label_map = label_map

    def __call__(self, dataset_dict: dict, rng: Optional[np.random.Generator] = None) -> dict:
        file_name = dataset_dict["file_name"]
        image = read_image(file_name)
        sem_seg = read_mask(dataset_dict["sem_seg_file_name"])
        if self.label_map is not None:
            sem_seg = self.label_map[sem_seg]
        if image.shape[:2] != sem_seg.shape:
            raise BadSampleError(
                f"image {file_name} is {image.shape[1]}x{image.shape[0]} but its mask "
                f"{dataset_dict['sem_seg_file_name']} is {sem_seg.shape[1]}x{sem_seg.shape[0]} (WxH)"
            )
        bad = (sem_seg >= self.num_classes) & (sem_seg != self.ignore_label)
        if bad.any():
            values = np.unique(sem_seg[bad])[:10].tolist()
            raise BadSampleError(
                f"mask {dataset_dict['sem_seg_file_name']} has labels {values} outside 0..{self.num_classes - 1} "
                f"and the ignore label {self.ignore_label}"
            )
        height, width = sem_seg.shape
        if rng is None:
            rng = np.random.default_rng(0)
        if self.is_train:
            image, sem_seg, _ = self.augmentations(image, sem_seg, rng)
        else:
            image, _, _ = self.augmentations(image, None, rng)
        return {
            "image": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))),
            "sem_seg": torch.from_numpy(sem_seg.astype(np.int64)),
            "height": height,
            "width": width,
            "file_name": file_name,
        }
