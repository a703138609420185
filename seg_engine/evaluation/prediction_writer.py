"""Label PNGs of a dataset's predictions in the format its benchmark server takes."""
from __future__ import annotations

import os
from typing import List, Optional

import numpy as np
from PIL import Image

from seg_engine.data import MetadataCatalog
from seg_engine.data.datasets.cityscapes import cityscapes_label_map

from .evaluator import DatasetEvaluator

SUBMISSION_FORMATS = ("auto", "raw", "cityscapes", "ade20k")


def train_id_lut(fmt: str, num_classes: int) -> Optional[np.ndarray]:
    """The table from train id to the value the format writes (None: the train id itself)."""
    if fmt == "raw":
        return None
    if fmt == "ade20k":  # SceneParsing: 1..150, 0 is "other", never predicted
        return np.arange(num_classes, dtype=np.int64) + 1
    if fmt == "cityscapes":  # the labelIds of cityscapesScripts
        lut = cityscapes_label_map()
        label_ids = np.zeros(num_classes, dtype=np.int64)
        for label_id, train_id in enumerate(lut):
            if train_id < num_classes:
                label_ids[train_id] = label_id
        return label_ids
    raise ValueError(f"--submission-format must be one of {SUBMISSION_FORMATS}, got {fmt!r}")


class SemSegPredictionWriter(DatasetEvaluator):
    """Writes ``output_dir/<image name>.png`` with the argmax of each prediction, mapped by ``fmt``:
    "raw" (train ids), "cityscapes" (labelIds), "ade20k" (train id + 1), or "auto" (the dataset's
    metadata ``submission_format``, else raw). Sub-folders of the image's name are not kept, as the
    servers take one flat folder."""

    def __init__(self, dataset_name: str, output_dir: str, fmt: str = "auto", num_classes: Optional[int] = None) -> None:
        meta = MetadataCatalog.get(dataset_name)
        if fmt == "auto":
            fmt = meta.get("submission_format", "raw")
        num_classes = num_classes or len(meta.get("classes", [])) or 256
        self.fmt = fmt
        self.lut = train_id_lut(fmt, num_classes)
        self.output_dir = output_dir
        self.written: List[str] = []

    def reset(self) -> None:
        self.written = []
        os.makedirs(self.output_dir, exist_ok=True)

    def process(self, inputs: List[dict], outputs: List[dict]) -> None:
        for inp, out in zip(inputs, outputs):
            labels = out["sem_seg"].argmax(dim=0).cpu().numpy()
            if self.lut is not None:
                labels = self.lut[labels]
            name = os.path.splitext(os.path.basename(inp["file_name"]))[0] + ".png"
            path = os.path.join(self.output_dir, name)
            Image.fromarray(labels.astype(np.uint8 if labels.max(initial=0) < 256 else np.uint16)).save(path)
            self.written.append(path)

    def evaluate(self) -> dict:
        return {}
