"""A trained model's label maps against mmsegmentation's ``inference_model`` on the same image files.

The row's mmsegmentation config (the ``Config`` of its metafile entry, in the installed mmsegmentation wheel) is
built by ``mmseg.apis.init_model`` with random weights (its own initialisation, random BatchNorm statistics), those
weights are saved as a checkpoint and loaded into the row's recipe through the row's converter; then each image file
goes through mmsegmentation's test pipeline and ``inference_model``, and through ``SegModel.predict`` (our reader,
resize, normalisation, whole or sliding-window inference). The label maps should be the same: what differs shows
where the test pipelines differ. mmsegmentation is not a dependency: run it where mmsegmentation 1.2.2 is installed
(``seg_engine.analysis.compare_mmseg.INSTALL_HINT``); ``tools/model_zoo.py --compare-mmseg NAME`` runs it.
"""
from __future__ import annotations

import os
import re
import tempfile
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import yaml

from ..analysis.compare_mmseg import import_mmseg
from ..data.io import read_image
from ..utils.testing import randomize_batchnorm
from .trained import TrainedModel, trained_model

# Odd (height, width) of the generated test images: none a multiple of the networks' strides.
IMAGE_SIZES = ((97, 131), (131, 97), (203, 317), (257, 191), (349, 451))


def write_test_images(folder: str, sizes: Sequence[Tuple[int, int]] = IMAGE_SIZES, seed: int = 0) -> List[str]:
    """PNG images (lossless, so both readers see the same pixels) of smooth random colour fields and shapes."""
    import cv2

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i, (h, w) in enumerate(sizes):
        coarse = rng.integers(0, 256, (max(2, h // 16), max(2, w // 16), 3), dtype=np.uint8)
        image = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        for _ in range(6):
            center = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            cv2.circle(image, center, int(rng.integers(5, max(6, min(h, w) // 3))), colour, -1)
        path = os.path.join(folder, f"odd_{i}_{h}x{w}.png")
        cv2.imwrite(path, image)
        paths.append(path)
    return paths


def mmseg_config_of(row: TrainedModel) -> str:
    """The config file of the row's metafile entry in the installed mmsegmentation: the metafile its ``source``
    names (``configs/<family>/metafile.yaml``), else, for a hand-written row of a download.openmmlab.com file,
    every metafile."""
    found = re.search(r"configs/([^/\s]+)/metafile\.yaml", row.source)
    if not found and "download.openmmlab.com/mmsegmentation/" not in row.url:
        raise ValueError(f"{row.name} does not come from an mmsegmentation metafile (source: {row.source!r})")
    import mmseg

    configs = os.path.join(os.path.dirname(mmseg.__file__), ".mim", "configs")
    families = [found.group(1)] if found else sorted(os.listdir(configs))
    for family in families:
        metafile = os.path.join(configs, family, "metafile.yaml")
        if not os.path.isfile(metafile):
            continue
        with open(metafile) as f:
            models = yaml.safe_load(f).get("Models") or []
        for model in models:
            if model["Name"] == row.name:
                return os.path.join(configs, model["Config"].split("configs/", 1)[-1])
    raise ValueError(f"{row.name} is not in mmsegmentation's configs/{'/'.join(families) if found else '*'}/metafile.yaml")


def compare_predictions(name: str, images: Sequence[str], seed: int = 0) -> Dict[str, object]:
    """Pixel agreement of the trained model ``name`` (random weights) with mmsegmentation's ``inference_model``
    on ``images``: per image and over all pixels, with the largest score difference and, where the labels
    differ, mmsegmentation's widest top-1 minus top-2 margin (a near tie there is rounding, not a pipeline)."""
    from ..api import SegModel
    from .trained import trained_config

    row = trained_model(name)  # an unknown name is said before mmsegmentation is looked for
    import_mmseg()
    from mmengine.model import revert_sync_batchnorm
    from mmseg.apis import inference_model, init_model

    config = mmseg_config_of(row)
    torch.manual_seed(seed)
    theirs = revert_sync_batchnorm(init_model(config, None, device="cpu"))
    randomize_batchnorm(theirs, seed)
    theirs.eval()
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "random_weights.pth")
        torch.save({"state_dict": theirs.state_dict()}, weights)
        ours = SegModel(trained_config(name, ["MODEL.WEIGHTS", weights, "MODEL.DEVICE", "cpu"]))
    per_image, same, total, widest = [], 0, 0, 0.0
    for path in images:
        try:
            result = inference_model(theirs, path)
        except (RuntimeError, AssertionError) as e:  # e.g. PIDNet's and DDRNet's sides must be multiples of 8
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise ValueError(f"{path}: mmsegmentation's {name} refused the image after its test pipeline ({first}); "
                             "give --images that its resize brings to the sizes it takes") from e
        expected, their_scores = result.pred_sem_seg.data[0].numpy(), result.seg_logits.data.float().numpy()
        labels, scores = ours.predict(read_image(path), return_scores=True)
        if labels.shape != expected.shape:
            raise ValueError(f"{path}: label maps of shape {labels.shape} (ours) and {expected.shape} (mmseg)")
        differ = labels != expected
        top2 = np.sort(their_scores, axis=0)[-2:]
        # mmsegmentation's top-1 minus top-2 score where the labels differ: near ties show rounding, not a pipeline
        margin = float((top2[1] - top2[0])[differ].max()) if differ.any() else 0.0
        widest = max(widest, margin)
        per_image.append({"image": os.path.basename(path), "size": list(labels.shape),
                          "agreement": 1 - differ.sum() / labels.size,
                          "max_score_difference": float(np.abs(scores - their_scores).max()),
                          "widest_margin_where_labels_differ": margin,
                          "classes_predicted": int(len(np.unique(expected)))})  # a constant map would agree trivially
        same, total = same + int((~differ).sum()), total + labels.size
    return {"name": name, "mmseg_config": os.path.relpath(config, os.path.dirname(os.path.dirname(config))),
            "recipe": row.recipe, "opts": dict(row.opts), "test": _protocol(ours.cfg), "pixels": total,
            "differing_pixels": total - same, "agreement": same / total,
            "widest_margin_where_labels_differ": widest, "images": per_image}


def _protocol(cfg) -> str:
    t, resize = cfg.TEST, cfg.INPUT.TEST
    mode = f"slide {tuple(t.CROP_SIZE)} stride {tuple(t.STRIDE)}" if t.MODE == "slide" else t.MODE
    return f"resize {resize.RESIZE_MODE} {tuple(resize.SCALE)}, {mode}, scales {tuple(t.SCALES)}, flip {t.FLIP}"
