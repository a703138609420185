"""Predict images, folders, globs and videos into label PNGs, coloured overlays and (optionally) scores.

An input that cannot be read is named in one line and skipped (or, with ``strict``, stops the run);
every file is written under a temporary name and renamed, so none is ever left half-written.
"""
from __future__ import annotations

import glob
import os
import sys
import tempfile
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from ..data.io import BadSampleError, read_image

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm")


@dataclass
class PredictionReport:
    """What :func:`predict_to_folder` did: the label files written, and one line per input it skipped."""

    written: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)


def _is_image(path: str) -> bool:
    return path.lower().endswith(IMAGE_EXTENSIONS)


def _is_video(path: str) -> bool:
    return path.lower().endswith(VIDEO_EXTENSIONS)


def _check_unique_outputs(found: List[Tuple[str, str]], spec: str) -> None:
    """Two inputs that would write the same file (``a.jpg`` and ``a.png``, or one name in two globbed
    folders) are refused before anything is written."""
    first: Dict[str, str] = {}
    for path, name in found:
        out = os.path.splitext(name)[0]
        if out in first:
            raise ValueError(f"--input {spec}: {first[out]} and {path} would both write {out}.png; "
                             "rename one or predict them separately")
        first[out] = path


def expand_inputs(spec: str) -> Tuple[List[Tuple[str, str]], bool]:
    """``([(path, name relative to the input), ...], is_video)`` for an image, a folder (its images,
    searched recursively), a glob pattern (every file it matches) or a video file. Nothing found
    raises FileNotFoundError naming ``spec``; two inputs with the same output name a ValueError."""
    if os.path.isfile(spec):
        return [(spec, os.path.basename(spec))], _is_video(spec)
    if os.path.isdir(spec):
        paths = sorted(glob.glob(os.path.join(spec, "**", "*"), recursive=True))
        found = [(p, os.path.relpath(p, spec)) for p in paths if _is_image(p) and os.path.isfile(p)]
        if not found:
            raise FileNotFoundError(f"--input {spec}: the folder holds no image ({', '.join(IMAGE_EXTENSIONS)})")
    else:
        paths = sorted(p for p in glob.glob(spec, recursive=True) if os.path.isfile(p))
        if not paths:
            raise FileNotFoundError(f"--input {spec}: no such file or folder, and no file matches it as a pattern")
        found = [(p, os.path.basename(p)) for p in paths]
    _check_unique_outputs(found, spec)
    return found, False


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


def _frame_count(path: str) -> Optional[int]:
    capture = cv2.VideoCapture(path)
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    finally:
        capture.release()


def write_then_rename(path: str, write: Callable[[BinaryIO], None]) -> None:
    """``write(file)`` into a temporary sibling of ``path``, then rename it to ``path``: a reader (or a
    run killed half-way) never sees a partial file under the final name."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _save_png(array: np.ndarray, path: str) -> None:
    write_then_rename(path, lambda f: Image.fromarray(array).save(f, format="PNG"))


def save_labels(labels: np.ndarray, path: str) -> None:
    """One channel of class ids: 8-bit PNG, or 16-bit past 255 classes."""
    _save_png(labels.astype(np.uint8 if labels.max(initial=0) < 256 else np.uint16), path)


def _unsupported(path: str) -> str:
    kind = "a video: give it alone as --input" if _is_video(path) else (
        f"not an image ({', '.join(IMAGE_EXTENSIONS)}) nor a video ({', '.join(VIDEO_EXTENSIONS)})")
    return f"{path} is {kind}"


class _VideoOutput:
    """The overlay video, written to a hidden sibling and renamed when complete."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.partial = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.partial.mp4")
        self.writer: Optional[cv2.VideoWriter] = None

    def write(self, frame: np.ndarray, fps: float) -> None:
        if self.writer is None:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            size = (frame.shape[1], frame.shape[0])
            self.writer = cv2.VideoWriter(self.partial, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        self.writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def close(self, complete: bool) -> None:
        if self.writer is None:
            return
        self.writer.release()
        if complete:
            os.replace(self.partial, self.path)
        elif os.path.exists(self.partial):
            os.remove(self.partial)


def predict_to_folder(
    model,
    spec: str,
    output: str,
    opacity: float = 0.5,
    save_scores: bool = False,
    progress: bool = True,
    strict: bool = False,
) -> PredictionReport:
    """Run ``model`` (a :class:`~seg_engine.SegModel`) on the images of ``spec`` and write, for each,
    ``output/labels/<name>.png`` (class ids), ``output/overlay/<name>.png`` and with ``save_scores``
    ``output/scores/<name>.npy`` (C x H x W float16). A video gives one file per frame
    (``<video>/<frame:06d>.png``) and ``output/overlay/<video>.mp4``.

    An input that cannot be read (truncated, corrupt, not an image) is named in one line on stderr and
    skipped; with ``strict`` the first one raises instead (the files of the inputs before it stay).
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"--opacity must be in [0, 1], got {opacity}")
    inputs, is_video = expand_inputs(spec)
    report = PredictionReport()
    video: Optional[_VideoOutput] = None
    if is_video:
        path, name = inputs[0]
        stem = os.path.splitext(name)[0]
        items = ((frame, os.path.join(stem, f"{i:06d}.png"), fps) for i, (frame, fps) in enumerate(_video_frames(path)))
        total = _frame_count(path)
        video = _VideoOutput(os.path.join(output, "overlay", stem + ".mp4"))
    else:
        items = ((path, os.path.splitext(name)[0] + ".png", None) for path, name in inputs)
        total = len(inputs)
    complete = False
    try:
        for source, name, fps in tqdm(items, total=total, desc="predict", unit="img", disable=not progress):
            if isinstance(source, str):
                try:
                    if not _is_image(source):
                        raise BadSampleError(_unsupported(source))
                    image = read_image(source)
                except BadSampleError as e:
                    if strict:
                        raise BadSampleError(f"{e}; stopped at the first bad input (--strict), "
                                             f"{len(report.written)} predictions written before it") from None
                    report.skipped.append(str(e))
                    tqdm.write(f"skipped: {e}", file=sys.stderr)
                    continue
            else:
                image = source
            if save_scores:
                labels, scores = model.predict(image, return_scores=True)
                score_path = os.path.join(output, "scores", os.path.splitext(name)[0] + ".npy")
                write_then_rename(score_path, lambda f: np.save(f, scores.astype(np.float16)))
            else:
                labels = model.predict(image)
            label_path = os.path.join(output, "labels", name)
            save_labels(labels, label_path)
            report.written.append(label_path)
            coloured = model.visualize(image, labels, opacity)
            _save_png(coloured, os.path.join(output, "overlay", name))
            if video is not None:
                video.write(coloured, fps)
        complete = True
    finally:
        if video is not None:
            video.close(complete)
    return report
