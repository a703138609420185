"""The published numbers of a project's recipes (``configs/published.yaml``): what papers, the authors' code or a
toolbox's zoo reported for the protocol a recipe follows, NOT reproduced here."""
from __future__ import annotations

import dataclasses
import os
from typing import Dict, Optional, Tuple

import yaml

PUBLISHED_FILE = "published.yaml"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclasses.dataclass(frozen=True)
class PublishedScore:
    """One published test result: mIoU (and pixAcc) under one protocol."""
    miou: float
    pixacc: Optional[float] = None
    scales: Tuple[float, ...] = ()
    flip: Optional[bool] = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Published:
    """A recipe's published numbers (papers, repositories, model zoos): not reproduced by this project."""
    source: str
    dataset: str
    single_scale: Optional[PublishedScore] = None
    multi_scale: Optional[PublishedScore] = None
    # A number whose source does not say whether it is single- or multi-scale.
    protocol_not_stated: Optional[PublishedScore] = None
    note: str = ""


_ENTRY_KEYS = {"status", "source", "dataset", "single_scale", "multi_scale", "protocol_not_stated", "note"}
_SCORE_KEYS = {"mIoU", "pixAcc", "scales", "flip", "note"}


def _score(block: object, where: str) -> PublishedScore:
    if not isinstance(block, dict) or "mIoU" not in block:
        raise ValueError(f"{where}: expected a mapping with mIoU, got {block!r}")
    unknown = sorted(set(block) - _SCORE_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_SCORE_KEYS))})")
    return PublishedScore(
        miou=float(block["mIoU"]),
        pixacc=None if block.get("pixAcc") is None else float(block["pixAcc"]),
        scales=tuple(float(s) for s in block.get("scales", ())),
        flip=block.get("flip"),
        note=str(block.get("note", "")),
    )


def load_published(path: str) -> Dict[str, Published]:
    """``published.yaml`` of a project: recipe path (relative to configs/) -> Published.

    Every entry must say ``status: published`` (the numbers were not reproduced here) and name a
    recipe that exists; a mistake raises a ValueError naming the file, the recipe and the key.
    """
    with open(path) as f:
        data = yaml.load(f, Loader=_YAML_LOADER) or {}
    configs_dir = os.path.dirname(path)
    out = {}
    for recipe, entry in data.items():
        where = f"{path}: {recipe}"
        if not os.path.isfile(os.path.join(configs_dir, recipe)):
            raise ValueError(f"{where}: no such recipe under {configs_dir}")
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: expected a mapping, got {entry!r}")
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_ENTRY_KEYS))})")
        if entry.get("status") != "published":
            raise ValueError(f"{where}: status must be 'published' (numbers not reproduced here), got {entry.get('status')!r}")
        for key in ("source", "dataset"):
            if not entry.get(key):
                raise ValueError(f"{where}: {key} is required")
        scores = {k: _score(entry[k], f"{where}.{k}") for k in ("single_scale", "multi_scale", "protocol_not_stated") if k in entry}
        if not scores:
            raise ValueError(f"{where}: needs single_scale, multi_scale or protocol_not_stated")
        out[recipe] = Published(source=str(entry["source"]), dataset=str(entry["dataset"]),
                                note=str(entry.get("note", "")), **scores)
    return out


