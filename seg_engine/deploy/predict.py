"""Predict images, folders, globs and videos into label PNGs, coloured overlays and (optionally) scores."""
from __future__ import annotations

import glob
import os
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from ..data.io import read_image

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm")


def expand_inputs(spec: str) -> Tuple[List[Tuple[str, str]], bool]:
    """``([(path, name relative to the input), ...], is_video)`` for an image, a folder (searched
    recursively), a glob pattern or a video file. Nothing found raises FileNotFoundError naming ``spec``."""
    if os.path.isfile(spec):
        ext = os.path.splitext(spec)[1].lower()
        if ext in VIDEO_EXTENSIONS:
            return [(spec, os.path.basename(spec))], True
        return [(spec, os.path.basename(spec))], False
    if os.path.isdir(spec):
        paths = sorted(glob.glob(os.path.join(spec, "**", "*"), recursive=True))
        found = [(p, os.path.relpath(p, spec)) for p in paths if p.lower().endswith(IMAGE_EXTENSIONS)]
        if not found:
            raise FileNotFoundError(f"--input {spec}: the folder holds no image ({', '.join(IMAGE_EXTENSIONS)})")
        return found, False
    paths = sorted(p for p in glob.glob(spec, recursive=True) if os.path.isfile(p))
    if not paths:
        raise FileNotFoundError(f"--input {spec}: no such file or folder, and no file matches it as a pattern")
    return [(p, os.path.basename(p)) for p in paths], False


def _video_frames(path: str) -> Iterator[Tuple[np.ndarray, float]]:
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise FileNotFoundError(f"--input {path}: OpenCV cannot open the video")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), fps
    finally:
        capture.release()


def save_labels(labels: np.ndarray, path: str) -> None:
    """One channel of class ids: 8-bit PNG, or 16-bit past 255 classes."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    Image.fromarray(labels.astype(np.uint8 if labels.max(initial=0) < 256 else np.uint16)).save(path)


def predict_to_folder(
    model,
    spec: str,
    output: str,
    opacity: float = 0.5,
    save_scores: bool = False,
    progress: bool = True,
) -> List[str]:
    """Run ``model`` (a :class:`~seg_engine.SegModel`) on the images of ``spec`` and write, for each,
    ``output/labels/<name>.png`` (class ids), ``output/overlay/<name>.png`` and with ``save_scores``
    ``output/scores/<name>.npy`` (C x H x W float16). A video gives one file per frame
    (``<video>/<frame:06d>.png``) and ``output/overlay/<video>.mp4``. Returns the label files written."""
    inputs, is_video = expand_inputs(spec)
    written: List[str] = []
    writer: Optional[cv2.VideoWriter] = None
    if is_video:
        path, name = inputs[0]
        stem = os.path.splitext(name)[0]
        items = ((frame, os.path.join(stem, f"{i:06d}.png"), fps) for i, (frame, fps) in enumerate(_video_frames(path)))
        total = int(cv2.VideoCapture(path).get(cv2.CAP_PROP_FRAME_COUNT)) or None
    else:
        items = ((path, os.path.splitext(name)[0] + ".png", None) for path, name in inputs)
        total = len(inputs)
    try:
        for source, name, fps in tqdm(items, total=total, desc="predict", unit="img", disable=not progress):
            image = read_image(source) if isinstance(source, str) else source
            if save_scores:
                labels, scores = model.predict(image, return_scores=True)
                score_path = os.path.join(output, "scores", os.path.splitext(name)[0] + ".npy")
                os.makedirs(os.path.dirname(score_path), exist_ok=True)
                np.save(score_path, scores.astype(np.float16))
            else:
                labels = model.predict(image)
            label_path = os.path.join(output, "labels", name)
            save_labels(labels, label_path)
            written.append(label_path)
            coloured = model.visualize(image, labels, opacity)
            overlay_path = os.path.join(output, "overlay", name)
            os.makedirs(os.path.dirname(overlay_path), exist_ok=True)
            Image.fromarray(coloured).save(overlay_path)
            if is_video:
                if writer is None:
                    video_path = os.path.join(output, "overlay", os.path.splitext(inputs[0][1])[0] + ".mp4")
                    size = (coloured.shape[1], coloured.shape[0])
                    writer = cv2.VideoWriter(video_path, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
                writer.write(cv2.cvtColor(coloured, cv2.COLOR_RGB2BGR))
    finally:
        if writer is not None:
            writer.release()
    return written
