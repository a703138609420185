"""Where the built-in datasets live (``$SEG_ENGINE_DATASETS``, default ``./datasets``), and the one
error a missing dataset folder gives: the path looked in, the expected layout and the variable to set."""
from __future__ import annotations

import os
from typing import Iterable

__all__ = ["DEFAULT_DATASETS_ROOT", "DATASETS_ENV_VAR", "DatasetNotFoundError", "datasets_root", "require_dirs"]

DATASETS_ENV_VAR = "SEG_ENGINE_DATASETS"
DEFAULT_DATASETS_ROOT = "./datasets"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset folder that is not where its published layout puts it."""


def datasets_root() -> str:
    """The folder that holds every built-in dataset, read when a dataset is first listed (not on import)."""
    return os.path.expanduser(os.environ.get(DATASETS_ENV_VAR) or DEFAULT_DATASETS_ROOT)


def require_dirs(dataset: str, base: str, subdirs: Iterable[str], layout: str) -> None:
    """Raise :class:`DatasetNotFoundError` unless every ``base/subdir`` is a folder."""
    for sub in subdirs:
        path = os.path.join(base, sub)
        if not os.path.isdir(path):
            setting = os.environ.get(DATASETS_ENV_VAR)
            now = f"now {setting!r}" if setting else f"unset, so {DEFAULT_DATASETS_ROOT!r} is used"
            raise DatasetNotFoundError(
                f"{dataset}: {os.path.abspath(path)} is not a folder; expected layout under the datasets root: "
                f"{layout}; set {DATASETS_ENV_VAR} to the folder that holds this layout ({now})"
            )
