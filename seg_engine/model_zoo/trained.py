"""The trained zoo: published checkpoints by name, read from each installed project's ``configs/trained.yaml``.

A row names a checkpoint (mmsegmentation's metafile name for its rows), where it comes from and how it loads::

    deeplabv3_r101-d8_4xb4-80k_ade20k-512x512:
      url: https://download.openmmlab.com/.../deeplabv3_r101-d8_512x512_80k_ade20k_20200615_021256-d89c7fa4.pth
      converter: <a layout name>              # MODEL.WEIGHTS_FORMAT of the file ("" for our own checkpoints)
      recipe: ade20k/deeplabv3_R50-D8_512x512_80k_ade20k_mmseg.yaml    # or seg_engine://<Project>/<path>
      opts: {MODEL.RESNETS.DEPTH: 101, MODEL.WEIGHTS: open-mmlab://resnet101_v1c}   # what the recipe lacks
      dataset: ADE20K                         # what it was trained and evaluated on (text)
      published: {mIoU: 44.08, mIoU_ms_flip: 45.19}   # published by the source, NOT reproduced here; or null
      licence: Apache License 2.0
      source: mmsegmentation 1.2.2 configs/deeplabv3/metafile.yaml
      # optional: sha256 (a prefix or the digest, besides the one the file name carries), note, hf_id

The recipe with its ``opts`` rebuilds the network with the source's test pipeline; ``zoo://NAME`` loads the file
with the row's converter. A ``skipped:`` mapping (name -> reason) lists the source's checkpoints that cannot be
expressed here. Each file is checked when read: a mistake is one ConfigError naming the file, the row and the key.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from ..checkpoint import WEIGHT_CONVERTERS
from ..checkpoint.references import ZOO_WEIGHTS, WeightsSource, unknown_name
from ..config import ConfigError, load_config, resolve_config_path
from ..config.paths import SCHEME
from ..plugins import installed_projects, project_configs_dir

TRAINED_FILE = "trained.yaml"
SKIPPED = "skipped"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_REQUIRED = ("url", "converter", "recipe", "dataset", "licence")
_OPTIONAL = ("opts", "published", "source", "sha256", "note", "hf_id")
# Spellings of hand-written files, read as the keys they stand for.
_ALIASES = {"sha256_prefix": "sha256", "published_mIoU": "published"}
_SCORES = ("mIoU", "mIoU_flip", "mIoU_ms", "mIoU_ms_flip", "pixAcc", "protocol_not_stated")
_NON_COMMERCIAL = ("non-commercial", "noncommercial", "by-nc")


@dataclasses.dataclass(frozen=True)
class TrainedModel:
    """One published checkpoint: its file, the converter that loads it, and the recipe that rebuilds its network."""
    name: str
    project: str
    url: str
    converter: str
    recipe: str  # seg_engine://<Project>/<path>
    opts: Tuple[Tuple[str, object], ...]  # (KEY, value) overrides of the recipe, in order
    dataset: str
    licence: str
    published: Tuple[Tuple[str, float], ...] = ()  # (metric, value): published by the source, not reproduced
    published_source: str = ""
    source: str = ""
    sha256: str = ""
    note: str = ""
    hf_id: str = ""
    file: str = ""  # the trained.yaml it was read from

    @property
    def non_commercial(self) -> bool:
        return any(word in self.licence.lower() for word in _NON_COMMERCIAL)

    @property
    def miou(self) -> Optional[float]:
        """The published single-scale mIoU (or the one whose protocol is not stated)."""
        scores = dict(self.published)
        return scores.get("mIoU", scores.get("protocol_not_stated"))

    def opts_list(self) -> List[str]:
        """``opts`` as KEY VALUE command-line words."""
        return [word for key, value in self.opts for word in (key, value if isinstance(value, str) else repr(value))]

    def config(self, opts: Sequence[object] = (), plugins: Sequence[str] = (), device: Optional[str] = None):
        """The recipe with the row's overrides, MODEL.WEIGHTS ``zoo://NAME`` and the row's converter, then ``opts``."""
        own = self.opts_list() + ["MODEL.WEIGHTS", f"zoo://{self.name}", "MODEL.WEIGHTS_FORMAT", self.converter]
        return load_config(self.recipe, own + list(opts), plugins=plugins, device=device)


@dataclasses.dataclass(frozen=True)
class SkippedModel:
    """A checkpoint of the source that seg_engine cannot rebuild, and why."""
    name: str
    project: str
    reason: str


def _text(row: Mapping, key: str, where: str) -> str:
    value = row.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be text, got {value!r}")
    return value


def _published(value: object, where: str) -> Tuple[Tuple[Tuple[str, float], ...], str]:
    if value is None:
        return (), ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # published_mIoU: 47.2
        return (("mIoU", float(value)),), ""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: published must be a mapping of metrics ({', '.join(_SCORES)}) or null, got {value!r}")
    scores = []
    for key, number in value.items():
        if key in ("source", "note"):
            continue
        if key not in _SCORES:
            raise ConfigError(f"{where}: unknown key 'published.{key}' (known: {', '.join(_SCORES + ('source', 'note'))})")
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            raise ConfigError(f"{where}: published.{key} must be a number, got {number!r}")
        scores.append((key, float(number)))
    return tuple(scores), str(value.get("source") or "")


def _opts(value: object, where: str) -> Tuple[Tuple[str, object], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: opts must be a mapping of config keys to values, got {value!r}")
    bad = [k for k in value if not isinstance(k, str) or k != k.upper() or "." not in k]
    if bad:
        raise ConfigError(f"{where}: opts key {bad[0]!r} is not a config key (A.B.C)")
    return tuple(value.items())


def _recipe(value: str, project: str, configs_dir: str, where: str) -> str:
    name = value if value.startswith(SCHEME) else f"{SCHEME}{project}/{value}"
    try:
        path = resolve_config_path(name) if value.startswith(SCHEME) else os.path.join(configs_dir, value)
    except ConfigError as e:
        raise ConfigError(f"{where}: recipe {value}: {e}") from None
    if not os.path.isfile(path):
        raise ConfigError(f"{where}: recipe {value} does not exist (looked for {path})")
    return name


def load_trained(path: str, project: str) -> Tuple[List[TrainedModel], List[SkippedModel]]:
    """The rows and the skipped checkpoints of one ``trained.yaml`` of ``project`` (its recipes are named
    relative to the file's folder, or ``seg_engine://...``)."""
    with open(path) as f:
        data = yaml.load(f, Loader=_YAML_LOADER) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of names to rows, got {type(data).__name__}")
    configs_dir = os.path.dirname(path)
    rows: List[TrainedModel] = []
    skipped = data.pop(SKIPPED, None) or {}
    if not isinstance(skipped, dict) or not all(isinstance(v, str) for v in skipped.values()):
        raise ConfigError(f"{path}: {SKIPPED} must map names to reasons (text)")
    for name, row in data.items():
        where = f"{path}: {name}"
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: expected a mapping, got {row!r}")
        row = {_ALIASES.get(k, k): v for k, v in row.items()}
        unknown = sorted(set(row) - set(_REQUIRED) - set(_OPTIONAL))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_REQUIRED + _OPTIONAL)})")
        missing = [k for k in _REQUIRED if k not in row or (k != "converter" and not row[k])]
        if missing:
            raise ConfigError(f"{where}: {missing[0]} is required")
        url = _text(row, "url", where)
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: url must be an http(s) URL, got {url!r}")
        converter = _text(row, "converter", where)
        if converter and converter not in WEIGHT_CONVERTERS:
            known = ", ".join(sorted(k for k, _ in WEIGHT_CONVERTERS))
            raise ConfigError(f"{where}: converter {converter!r} is not registered (known: {known})")
        sha256 = str(row.get("sha256") or "").lower()
        if sha256 and not all(c in "0123456789abcdef" for c in sha256):
            raise ConfigError(f"{where}: sha256 must be hex digits, got {sha256!r}")
        scores, published_source = _published(row.get("published"), where)
        rows.append(TrainedModel(
            name=str(name), project=project, url=url, converter=converter,
            recipe=_recipe(_text(row, "recipe", where), project, configs_dir, where),
            opts=_opts(row.get("opts"), where), dataset=_text(row, "dataset", where),
            licence=_text(row, "licence", where), published=scores, published_source=published_source,
            source=_text(row, "source", where), sha256=sha256, note=_text(row, "note", where),
            hf_id=_text(row, "hf_id", where), file=path,
        ))
    return rows, [SkippedModel(str(n), project, reason) for n, reason in skipped.items()]


_tables: Dict[str, Tuple[List[TrainedModel], List[SkippedModel]]] = {}
_registered: Dict[str, TrainedModel] = {}  # rows added in code (register_trained): tests, notebooks


def _installed_tables() -> Dict[str, Tuple[List[TrainedModel], List[SkippedModel]]]:
    """project -> (rows, skipped) of every installed project with a trained.yaml, read once per process."""
    if not _tables:
        for project in sorted(installed_projects()):
            folder = project_configs_dir(project)
            if folder is not None and os.path.isfile(os.path.join(folder, TRAINED_FILE)):
                _tables[project] = load_trained(os.path.join(folder, TRAINED_FILE), project)
    return _tables


def trained_models() -> Dict[str, TrainedModel]:
    """Name -> row: every installed project's trained.yaml (a name in two files is an error naming both), then
    the rows registered in code."""
    out: Dict[str, TrainedModel] = {}
    for rows, _ in _installed_tables().values():
        for row in rows:
            if row.name in out:
                raise ConfigError(f"trained model {row.name} is listed twice: in {out[row.name].file} and {row.file}")
            out[row.name] = row
    out.update(_registered)
    return out


def skipped_models() -> List[SkippedModel]:
    """The checkpoints the installed projects' tables list as skipped, with the reason."""
    return [s for _, skipped in _installed_tables().values() for s in skipped]


def _register_weights(row: TrainedModel) -> None:
    notice = f"zoo://{row.name} is for non-commercial use only ({row.licence})" if row.non_commercial else ""
    ZOO_WEIGHTS[row.name] = WeightsSource(row.url, row.converter, row.sha256, exact_format=True, notice=notice)


def register_trained(rows: Sequence[TrainedModel]) -> None:
    """Add rows in code (e.g. from :func:`load_trained` of a file of one's own): ``zoo://NAME``,
    ``SegModel.from_pretrained`` and ``--model`` then find them."""
    for row in rows:
        _registered[row.name] = row
        _register_weights(row)


def register_installed() -> None:
    """Make ``zoo://NAME`` resolve for every trained model (``zoo://`` calls it the first time it misses a name):
    the row's file and converter; a non-commercial licence is logged once, when the file is downloaded."""
    for row in trained_models().values():
        _register_weights(row)


def trained_model(name: str) -> TrainedModel:
    """The row named ``name``; an unknown name is a WeightsNameError with the closest names."""
    rows = trained_models()
    if name not in rows:
        raise unknown_name(f"zoo://{name}", rows)
    return rows[name]


def trained_config(name: str, opts: Sequence[object] = (), plugins: Sequence[str] = (), device: Optional[str] = None):
    """The config of the trained model ``name``: its recipe and overrides, MODEL.WEIGHTS ``zoo://name``, then ``opts``."""
    return trained_model(name).config(opts, plugins=plugins, device=device)


def recipe_value(recipe: str, key: str, opts: Sequence[Tuple[str, object]] = ()) -> object:
    """A key of a recipe read from its YAML chain without building the config (fast; renamed keys are not
    followed): ``opts`` win, then the file, then its bases; None when none sets it."""
    for k, value in opts:
        if k == key:
            return value
    path = resolve_config_path(recipe)
    with open(path) as f:
        data = yaml.load(f, Loader=_YAML_LOADER) or {}
    node: object = data
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is not None:
        return node
    bases = data.get("_BASE_") or []
    for base in reversed([bases] if isinstance(bases, str) else bases):
        found = recipe_value(resolve_config_path(base, relative_to=path), key)
        if found is not None:
            return found
    return None


TABLE_COLUMNS = ["name", "project", "dataset", "classes", "published mIoU", "converter", "licence", "recipe", "url"]


def table_rows(rows: Sequence[TrainedModel]) -> List[List[str]]:
    """The trained models as strings in TABLE_COLUMNS order (the mIoU published by the source, not reproduced)."""
    out = []
    for row in sorted(rows, key=lambda r: (r.project, r.name)):
        scores = dict(row.published)
        miou = "-" if row.miou is None else f"{row.miou:g}"
        if "mIoU_ms_flip" in scores:
            miou += f" (ms+flip {scores['mIoU_ms_flip']:g})"
        recipe = row.recipe + (f" + {len(row.opts)} opts" if row.opts else "")
        classes = recipe_value(row.recipe, "MODEL.NUM_CLASSES", row.opts)
        out.append([row.name, row.project, row.dataset, str(classes), miou, row.converter or "-", row.licence, recipe, row.url])
    return out
