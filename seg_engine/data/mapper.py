"""SemSegDatasetMapper: one dataset dict -> the tensors the model takes, and the checks on the way."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

from .io import LabelOutOfRangeError, MissingFileError, SizeMismatchError, read_image, read_mask
from .transforms import AugmentationList

__all__ = ["SemSegDatasetMapper", "check_labels", "check_same_size", "label_dtype", "map_labels"]

_MAX_LISTED_VALUES = 10


def map_labels(sem_seg: np.ndarray, label_map: Optional[np.ndarray], path: str = "") -> np.ndarray:
    """``label_map[sem_seg]`` (raw values to train ids); a raw value beyond the map is an error naming it."""
    if label_map is None:
        return sem_seg
    if sem_seg.dtype == np.uint8 and label_map.dtype == np.uint8 and len(label_map) == 256:
        return cv2.LUT(sem_seg, label_map)
    if sem_seg.size and int(sem_seg.max()) >= len(label_map):
        values = np.unique(sem_seg[sem_seg >= len(label_map)])[:_MAX_LISTED_VALUES].tolist()
        raise LabelOutOfRangeError(
            f"mask {path} has raw values {values} beyond the dataset's label map (0..{len(label_map) - 1})"
        )
    return label_map[sem_seg]


def check_same_size(image: np.ndarray, sem_seg: np.ndarray, image_path: str, mask_path: str) -> None:
    if image.shape[:2] != sem_seg.shape:
        raise SizeMismatchError(
            f"image {image_path} is {image.shape[1]}x{image.shape[0]} but its mask {mask_path} is "
            f"{sem_seg.shape[1]}x{sem_seg.shape[0]} (WxH)"
        )


def check_labels(sem_seg: np.ndarray, num_classes: int, ignore_label: int, path: str) -> None:
    """Every (mapped) label is a class id or the ignore label; otherwise an error listing the values."""
    bad = (sem_seg >= num_classes) & (sem_seg != ignore_label)
    if sem_seg.dtype.kind == "i":
        bad |= sem_seg < 0
    if bad.any():
        values = np.unique(sem_seg[bad])[:_MAX_LISTED_VALUES].tolist()
        raise LabelOutOfRangeError(
            f"mask {path} has labels {values} outside 0..{num_classes - 1} and the ignore label {ignore_label}"
        )


def label_dtype(num_classes: int, ignore_label: int) -> np.dtype:
    """The smallest dtype holding every valid label; uint8 keeps OpenCV's fast paths."""
    largest = max(num_classes - 1, ignore_label)
    return np.dtype(np.uint8 if largest <= 255 else np.uint16 if largest <= 65535 else np.int32)


class SemSegDatasetMapper:
    """Reads, maps labels, checks, augments image and mask alike, returns
    ``{"image": uint8 3xHxW, "sem_seg": HxW, "height", "width", "file_name"}``.

    ``sem_seg`` has the smallest integer dtype that holds the labels (:func:`label_dtype`: uint8 unless
    there are more than 255 classes); consumers convert it (``.long()``) on their device, so that a
    quarter of the bytes of int64 crosses from the loader's workers. ``height``/``width`` are the
    original size. At test time ``sem_seg`` is the original mask, never resized; only the image goes
    through the (deterministic) test augmentations. Colour masks are decoded through ``mask_colours``
    (the dataset's ``mask_colours`` metadata), then ``label_map`` applies. Problems raise a
    :class:`~seg_engine.data.io.BadSampleError` that names the file(s).
    """

    def __init__(
        self,
        augmentations: AugmentationList,
        is_train: bool,
        num_classes: int,
        ignore_label: int = 255,
        label_map: Optional[np.ndarray] = None,
        mask_colours: Optional[Sequence[Sequence[int]]] = None,
    ) -> None:
        self.augmentations = augmentations
        self.is_train = is_train
        self.num_classes = num_classes
        self.ignore_label = ignore_label
        self.label_map = label_map
        self.mask_colours = mask_colours
        self._dtype = label_dtype(num_classes, ignore_label)

    def load(self, dataset_dict: dict) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """The checked (RGB image, train-id mask) pair of ``dataset_dict``, before augmentation.

        A test split without masks (no ``sem_seg_file_name``: a benchmark's test images) gives
        ``(image, None)``; training needs the mask."""
        image_path, mask_path = dataset_dict["file_name"], dataset_dict.get("sem_seg_file_name")
        if mask_path is None:
            if self.is_train:
                raise MissingFileError(f"{image_path} has no mask: a training split needs one for every image")
            return read_image(image_path), None
        image = read_image(image_path)
        sem_seg = map_labels(read_mask(mask_path, self.mask_colours), self.label_map, mask_path)
        check_same_size(image, sem_seg, image_path, mask_path)
        check_labels(sem_seg, self.num_classes, self.ignore_label, mask_path)
        return image, sem_seg.astype(self._dtype, copy=False)

    def __call__(self, dataset_dict: dict, rng: Optional[np.random.Generator] = None) -> dict:
        image, sem_seg = self.load(dataset_dict)
        height, width = image.shape[:2]
        if rng is None:
            rng = np.random.default_rng(0)
        if self.is_train:
            image, sem_seg, _ = self.augmentations(image, sem_seg, rng)
        else:
            image, _, _ = self.augmentations(image, None, rng)
        out = {
            "image": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))),
            "height": height,
            "width": width,
            "file_name": dataset_dict["file_name"],
        }
        if sem_seg is not None:
            out["sem_seg"] = torch.from_numpy(np.require(sem_seg, requirements=("C", "W")))
        return out
