"""The model zoo: one row per recipe of every project under ``projects/``, generated from the recipes.

``list()`` builds each recipe's model on the meta device (parameters without memory), reads its
schedule from the config, its published numbers from ``projects/<Name>/configs/published.yaml``
(numbers that papers and toolboxes published, NOT reproduced here) and its FLOPs from the cache
``MODEL_ZOO.flops.json`` at the repository root. FLOPs need real tensors (seconds per full-size
model on a CPU), so they are computed only with ``flops=True`` for models missing from the cache;
the cache is keyed by a hash of the network's structure (modules and tensor shapes) and the input
size, so a change of a model misses it. ``tools/model_zoo.py --markdown`` regenerates ``MODEL_ZOO.md`` and the cache.
"""
from __future__ import annotations

import builtins
import contextlib
import dataclasses
import glob
import hashlib
import json
import os
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import torch
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECTS_DIR = os.path.join(ROOT, "projects")
MARKDOWN_PATH = os.path.join(ROOT, "MODEL_ZOO.md")
FLOPS_CACHE_PATH = os.path.join(ROOT, "MODEL_ZOO.flops.json")
PUBLISHED_FILE = "published.yaml"
# Where a recipe has no training crop (whole images), FLOPs are counted at this size.
DEFAULT_FLOPS_SIZE = (512, 512)
# Keys of MODEL that do not change the network, left out of the FLOPs cache key.
_NOT_ARCHITECTURE = ("WEIGHTS", "WEIGHTS_FORMAT", "DEVICE")
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


@dataclasses.dataclass(frozen=True)
class ModelZooRow:
    """One recipe: what it builds, how it trains, its size and cost, and what was published for it."""
    project: str
    config: str  # path relative to the repository root
    model: str  # MODEL.META_ARCHITECTURE
    backbone: str
    dataset: str  # DATASETS.TRAIN
    crop: Optional[Tuple[int, int]]  # INPUT.TRAIN.CROP_SIZE; None: whole images
    iterations: int
    batch: int
    parameters: int
    flops_size: Tuple[int, int]  # (h, w) the FLOPs are counted at: the crop, or DEFAULT_FLOPS_SIZE
    flops: Optional[int]  # fvcore's count (one multiply-add = one FLOP); None: not computed
    flops_key: str
    published: Optional[Published]
    converters: Tuple[str, ...]  # the project's converters of outside weights
    weights_format: str  # MODEL.WEIGHTS_FORMAT of the recipe ("" when none)

    @property
    def gflops(self) -> Optional[float]:
        return None if self.flops is None else self.flops / 1e9


# ---------------------------------------------------------------------------- published numbers
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


# ---------------------------------------------------------------------------- backbones
def _resnet(cfg) -> str:
    r = cfg.MODEL.RESNETS
    return f"ResNet-{r.DEPTH}" + (f" (width {r.BASE_WIDTH})" if r.BASE_WIDTH != 64 else "")


def _vgg(cfg) -> str:
    v = cfg.MODEL.VGG
    return f"VGG{v.DEPTH}" + ("-BN" if v.NORM else "") + (f" (width {v.BASE_WIDTH})" if v.BASE_WIDTH != 64 else "")


def _xception(cfg) -> str:
    x = cfg.MODEL.XCEPTION
    return f"Xception-{x.DEPTH}" + (f" (width / {x.WIDTH_DIVISOR})" if x.WIDTH_DIVISOR != 1 else "")


def _unet_encoder(cfg) -> str:
    widths = builtins.list(cfg.MODEL.UNET_ENCODER.WIDTHS)
    return f"U-Net encoder ({widths[0]}..{widths[-1]})"


# MODEL.BACKBONE.NAME -> fn(cfg) naming the backbone; register_backbone_name adds others.
BACKBONE_NAMES: Dict[str, Callable] = {
    "build_resnet_backbone": _resnet,
    "build_vgg_backbone": _vgg,
    "build_xception_backbone": _xception,
    "build_unet_encoder": _unet_encoder,
}


def register_backbone_name(builder: str, describe: Callable) -> None:
    """Name the backbone built by ``builder`` in the zoo as ``describe(cfg)`` (default: the builder's name)."""
    BACKBONE_NAMES[builder] = describe


def backbone_name(cfg) -> str:
    describe = BACKBONE_NAMES.get(cfg.MODEL.BACKBONE.NAME)
    return describe(cfg) if describe else cfg.MODEL.BACKBONE.NAME


# ---------------------------------------------------------------------------- recipes
def project_dirs(projects_dir: str = PROJECTS_DIR) -> List[str]:
    """Every project folder (one with configs/) under ``projects_dir``, sorted by name."""
    return sorted(os.path.dirname(d.rstrip(os.sep)) for d in glob.glob(os.path.join(projects_dir, "*", "configs", "")))


def project_packages(project_dir: str) -> List[str]:
    """The Python packages of a project (folders with __init__.py, tests excluded), as setup.py installs them."""
    return sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(project_dir, "*", "__init__.py"))
                  if os.path.basename(os.path.dirname(p)) != "tests")


def _sets_meta_architecture(path: str) -> bool:
    """Whether the file or a file of its _BASE_ chain sets MODEL.META_ARCHITECTURE."""
    with open(path) as f:
        data = yaml.load(f, Loader=_YAML_LOADER) or {}
    if "META_ARCHITECTURE" in (data.get("MODEL") or {}):
        return True
    base = data.get("_BASE_")
    return bool(base) and _sets_meta_architecture(os.path.join(os.path.dirname(path), base))


def recipe_paths(project_dir: str) -> List[str]:
    """The recipes of a project: configs/**/*.yaml setting a meta-architecture, without Base-* and published.yaml."""
    paths = glob.glob(os.path.join(project_dir, "configs", "**", "*.yaml"), recursive=True)
    keep = [p for p in paths if not os.path.basename(p).startswith("Base-") and os.path.basename(p) != PUBLISHED_FILE]
    return sorted((p for p in keep if _sets_meta_architecture(p)), key=lambda p: os.path.relpath(p, project_dir))


def load_recipe(path: str):
    from .config import get_cfg

    cfg = get_cfg()
    cfg.merge_from_file(path)
    return cfg


def model_key(cfg) -> str:
    """A hash of the model config (MODEL but weights and device): equal for recipes that build the same model."""
    model = {k: v for k, v in cfg.MODEL.items() if k not in _NOT_ARCHITECTURE}
    text = json.dumps(model, sort_keys=True, default=builtins.list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def architecture_hash(model: torch.nn.Module) -> str:
    """A hash of the network in eval mode: its modules as printed (kinds, widths, kernels, strides,
    dilations, pooling sizes) and the names and shapes of its tensors. Unlike the config, it does not
    change when a new project registers config keys, nor with keys the model does not read."""
    model.eval()
    text = repr(model) + "".join(f"\n{k} {tuple(v.shape)}" for k, v in model.state_dict().items())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def flops_key(architecture: str, size: Tuple[int, int]) -> str:
    """The FLOPs cache's key: the architecture_hash and the input size."""
    return hashlib.sha256(f"{architecture} {size[0]}x{size[1]}".encode()).hexdigest()[:16]


_INIT_FUNCTIONS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                   "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_")


@contextlib.contextmanager
def _skip_init() -> Iterator[None]:
    """torch.nn.init's fills as no-ops: on the meta device they compute nothing and cost most of a build."""
    saved = {name: getattr(torch.nn.init, name) for name in _INIT_FUNCTIONS if hasattr(torch.nn.init, name)}
    try:
        for name in saved:
            setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for name, fn in saved.items():
            setattr(torch.nn.init, name, fn)


def compute_flops(cfg, size: Tuple[int, int]) -> int:
    """fvcore's FLOPs of one whole-image pass at ``size`` of the model ``cfg`` builds (random weights, CPU)."""
    from .analysis import count_flops
    from .modeling import build_model

    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.WEIGHTS = ""
    with torch.device("cpu"):
        model = build_model(cfg).eval()
    return count_flops(model, size)


def build_on_meta(cfg) -> torch.nn.Module:
    """The model of ``cfg`` on the meta device: shapes without memory, and no initialisation cost."""
    from .modeling import build_model

    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.DEVICE = "meta"
    with torch.device("meta"), _skip_init():
        return build_model(cfg)


def count_parameters(model: torch.nn.Module) -> int:
    """Every parameter of ``model``, shared ones once."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def _read_cache_entries(path: str) -> Dict[str, dict]:
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def read_flops_cache(path: str = FLOPS_CACHE_PATH) -> Dict[str, int]:
    """flops_key -> FLOPs of the cache file (empty when there is none)."""
    return {k: int(v["flops"]) for k, v in _read_cache_entries(path).items()}


def _write_cache_entries(entries: Dict[str, dict], path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(entries, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def write_flops_cache(rows: Sequence[ModelZooRow], path: str = FLOPS_CACHE_PATH) -> None:
    """The FLOPs of ``rows`` keyed by flops_key (entries of models no recipe builds any more are dropped),
    with the size and a config each was counted for (to read, not to match)."""
    _write_cache_entries({r.flops_key: {"flops": r.flops, "size": builtins.list(r.flops_size), "config": r.config}
                          for r in rows if r.flops is not None}, path)


def list(flops: bool = False, projects_dir: str = PROJECTS_DIR, flops_cache: str = FLOPS_CACHE_PATH,
         progress: Optional[Callable[[str], None]] = None) -> List[ModelZooRow]:  # noqa: A001 (the issue's name)
    """One row per recipe of every project under ``projects_dir`` (each project's packages are imported).

    FLOPs come from ``flops_cache``; ``flops=True`` computes those missing from it (seconds to minutes
    per full-size model on a CPU) and adds each to the file at once, so an interrupted run resumes;
    ``flops=False`` leaves them None.
    """
    from .checkpoint import WEIGHT_CONVERTERS
    from .plugins import load_plugin

    cache = read_flops_cache(flops_cache)
    # model_key -> (parameters, architecture_hash): recipes that differ only in schedule share a model
    built: Dict[str, Tuple[int, str]] = {}
    rows: List[ModelZooRow] = []
    for project_dir in project_dirs(projects_dir):
        packages = project_packages(project_dir)
        for package in packages:
            load_plugin(os.path.join(project_dir, package))
        converters = tuple(sorted(name for name, fn in WEIGHT_CONVERTERS if fn.__module__.split(".")[0] in packages))
        configs_dir = os.path.join(project_dir, "configs")
        published_path = os.path.join(configs_dir, PUBLISHED_FILE)
        published = load_published(published_path) if os.path.isfile(published_path) else {}
        for path in recipe_paths(project_dir):
            if progress:
                progress(path)
            cfg = load_recipe(path)
            crop = tuple(int(s) for s in cfg.INPUT.TRAIN.CROP_SIZE)
            crop = crop if all(crop) else None
            size = crop or DEFAULT_FLOPS_SIZE
            if model_key(cfg) not in built:
                model = build_on_meta(cfg)
                built[model_key(cfg)] = (count_parameters(model), architecture_hash(model))
            parameters, architecture = built[model_key(cfg)]
            key = flops_key(architecture, size)
            count = cache.get(key)
            if count is None and flops:
                count = cache[key] = compute_flops(cfg, size)
                entries = _read_cache_entries(flops_cache)
                entries[key] = {"flops": count, "size": builtins.list(size), "config": os.path.relpath(path, ROOT)}
                _write_cache_entries(entries, flops_cache)
            rows.append(ModelZooRow(
                project=os.path.basename(project_dir),
                config=os.path.relpath(path, os.path.dirname(projects_dir)),
                model=cfg.MODEL.META_ARCHITECTURE,
                backbone=backbone_name(cfg),
                dataset="+".join(cfg.DATASETS.TRAIN),
                crop=crop,
                iterations=int(cfg.SOLVER.MAX_ITER),
                batch=int(cfg.SOLVER.IMS_PER_BATCH),
                parameters=parameters,
                flops_size=size,
                flops=count,
                flops_key=key,
                published=published.get(os.path.relpath(path, configs_dir)),
                converters=converters,
                weights_format=cfg.MODEL.WEIGHTS_FORMAT,
            ))
    return rows


# ---------------------------------------------------------------------------- tables
COLUMNS = ["project", "model", "backbone", "train data", "crop", "iters", "batch", "params (M)", "GFLOPs",
           "published mIoU (ss)", "published mIoU (ms)", "published mIoU (protocol not stated)", "published on", "source",
           "converters", "config"]


def _scales(score: PublishedScore) -> str:
    parts = []
    if score.scales:
        parts.append(f"{score.scales[0]:g}-{score.scales[-1]:g}" if len(score.scales) > 2 else ", ".join(f"{s:g}" for s in score.scales))
    if score.flip:
        parts.append("flip")
    return f" ({', '.join(parts)})" if parts else ""


def _source(published: Optional[Published], markdown: bool) -> str:
    if published is None:
        return "-"
    text, _, url = published.source.rpartition(", ")
    if markdown and url.startswith("http"):
        return f"[{text}]({url})"
    return published.source


def table_rows(rows: Sequence[ModelZooRow], markdown: bool = False) -> List[List[str]]:
    """The rows as strings in COLUMNS order."""
    out = []
    for r in rows:
        p = r.published
        ss = "-" if p is None or p.single_scale is None else str(p.single_scale.miou) + (" (flip)" if p.single_scale.flip else "")
        ms = "-" if p is None or p.multi_scale is None else str(p.multi_scale.miou) + _scales(p.multi_scale)
        other = "-" if p is None or p.protocol_not_stated is None else str(p.protocol_not_stated.miou)
        converters = ", ".join(r.converters) or "-"
        if r.weights_format:
            converters += f"; recipe: {r.weights_format}"
        gflops = "?" if r.flops is None else f"{r.gflops:.1f}" if r.gflops >= 1 else f"{r.gflops:.3f}"
        if r.crop is None:
            gflops += f" @{r.flops_size[0]}x{r.flops_size[1]}"
        config = f"`{r.config}`" if markdown else r.config
        out.append([r.project, r.model, r.backbone, r.dataset, "-" if r.crop is None else f"{r.crop[0]}x{r.crop[1]}",
                    f"{r.iterations:,}", str(r.batch), f"{r.parameters / 1e6:.2f}", gflops, ss, ms, other,
                    "-" if p is None else p.dataset, _source(p, markdown), converters, config])
    return out


MARKDOWN_HEADER = """# Model zoo

Generated by `python tools/model_zoo.py --markdown` from the recipes (`projects/*/configs/**/*.yaml`) and
their published numbers (`projects/*/configs/published.yaml`); do not edit it by hand.
`tests/test_model_zoo.py` fails when this file is stale.

**The mIoU columns are published numbers, not reproduced here**: what a paper, the authors' repository
or a toolbox's model zoo reported for the protocol the recipe follows (its source is in each row).
No recipe of this table was trained to obtain them. "ss": single scale (some sources average each
view with its mirror: "flip"); "ms": multi-scale, scales given as ratios; "protocol not stated": the
source does not say which. "published on" is the data the number was measured on, which can differ
from the recipe's own test set (see the notes).

- **params (M)**: every parameter of the model the recipe builds, auxiliary heads and fixed
  (non-trainable) ones included, with the recipe's number of classes.
- **GFLOPs**: fvcore's count of one whole-image forward pass (eval mode, batch 1) at the recipe's
  training crop, or at 512x512 where a recipe trains on whole images (marked @512x512).
  **fvcore counts one multiply-add as one FLOP** (papers that count multiplications and additions
  separately give twice these numbers). Multi-scale, flip and sliding-window tests multiply it by their views
  (`tools/analyze_model.py` counts them).
- **converters**: the `MODEL.WEIGHTS_FORMAT` converters the project registers for outside weights
  (e.g. the authors' released checkpoints); "recipe:" the format the recipe itself sets for its
  initial (usually ImageNet) weights.
- **iters / batch**: `SOLVER.MAX_ITER` and `SOLVER.IMS_PER_BATCH` (images per iteration over all GPUs).
"""


def to_markdown(rows: Sequence[ModelZooRow]) -> str:
    """MODEL_ZOO.md: the header, then one section per project with its table and the published notes."""
    projects = sorted({r.project for r in rows})
    lines = [MARKDOWN_HEADER, f"{len(rows)} recipes of {len(projects)} projects: {', '.join(projects)}.", ""]
    columns = COLUMNS[1:]
    for project in projects:
        mine = [r for r in rows if r.project == project]
        lines += [f"## {project}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row[1:]) + " |" for row in table_rows(mine, markdown=True)]
        notes = []
        for r in mine:
            p = r.published
            if p is None:
                continue
            parts = [p.note] + [f"{label}: {s.note}" for label, s in
                                (("ss", p.single_scale), ("ms", p.multi_scale), ("protocol not stated", p.protocol_not_stated))
                                if s is not None and s.note]
            pixacc = [f"{label} {s.pixacc}" for label, s in
                      (("ss", p.single_scale), ("ms", p.multi_scale), ("protocol not stated", p.protocol_not_stated))
                      if s is not None and s.pixacc is not None]
            if pixacc:
                parts.append("published pixAcc: " + ", ".join(pixacc))
            parts = [x for x in parts if x]
            if parts:
                notes.append(f"- `{os.path.basename(r.config)}`: " + "; ".join(parts) + ".")
        if notes:
            lines += ["", "Notes on the published numbers:", ""] + notes
        lines.append("")
    return "\n".join(lines)
