"""Listing image and mask files and pairing them by key, with one error that lists what is unpaired."""
from __future__ import annotations

import os
from typing import Dict, List

from ..errors import DatasetError

__all__ = ["UnpairedFilesError", "pair_files", "scan_files"]

_MAX_LISTED = 5


class UnpairedFilesError(DatasetError):
    """Images without a mask or masks without an image.

    ``pairs`` holds the dataset dicts of the files that did pair and ``unpaired`` the paths that did not,
    so that a checker can report both and go on scanning the pairs.
    """

    def __init__(self, message: str, pairs: List[dict], unpaired: List[str]) -> None:
        super().__init__(message)
        self.pairs = pairs
        self.unpaired = unpaired


def scan_files(folder: str, suffix: str) -> Dict[str, str]:
    """Map each file under ``folder`` (subfolders included) whose name ends with ``suffix`` from its
    path relative to ``folder``, less the suffix, to its full path."""
    found: Dict[str, str] = {}
    stack = [folder]
    while stack:
        current = stack.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.is_dir():
                    stack.append(entry.path)
                elif entry.name.endswith(suffix) and len(entry.name) > len(suffix):
                    rel = os.path.relpath(entry.path, folder)
                    found[rel[: len(rel) - len(suffix)]] = entry.path
    return found


def _listed(paths: List[str], what: str) -> str:
    shown = ", ".join(paths[:_MAX_LISTED]) + (", ..." if len(paths) > _MAX_LISTED else "")
    return f"{len(paths)} {what}: {shown}"


def pair_files(images: Dict[str, str], masks: Dict[str, str], dataset: str, layout: str) -> List[dict]:
    """``{file_name, sem_seg_file_name}`` dicts of the keys in both maps, sorted by key.

    Keys present in only one map raise :class:`UnpairedFilesError`. Sizes are left to the mapper, which
    reads them from the mask: listing stays a directory scan, with no file opened.
    """
    pairs = [{"file_name": images[k], "sem_seg_file_name": masks[k]} for k in sorted(images.keys() & masks.keys())]
    no_mask = sorted(images[k] for k in images.keys() - masks.keys())
    no_image = sorted(masks[k] for k in masks.keys() - images.keys())
    if no_mask or no_image:
        problems = []
        if no_mask:
            problems.append(_listed(no_mask, "image(s) without a mask"))
        if no_image:
            problems.append(_listed(no_image, "mask(s) without an image"))
        message = f"{dataset}: " + "; ".join(problems) + f"; expected layout: {layout}"
        raise UnpairedFilesError(message, pairs, no_mask + no_image)
    return pairs
