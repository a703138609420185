"""The zoo's rows: one per recipe of every installed project, with its model's size, cost and published numbers."""
from __future__ import annotations

import builtins
import dataclasses
import os
from typing import Callable, Dict, List, Optional, Tuple

from ..checkpoint import LAYOUTS, WEIGHT_CONVERTERS
from ..checkpoint.layout import project_of
from ..interop import backbone_name
from ..plugins import installed_projects, package_of
from .flops import (_read_cache_entries, _write_cache_entries, architecture_hash, build_on_meta, compute_flops,
                    count_parameters, flops_key, model_key, read_flops_cache)
from .paths import DEFAULT_FLOPS_SIZE, FLOPS_CACHE_PATH
from .published import PUBLISHED_FILE, Published, load_published
from .recipes import installed_recipes, load_recipe
from .trained import trained_models


# Keys of a trained model's opts that leave the network, its data and its test protocol as the recipe has them.
_SCHEDULE_KEYS = ("SOLVER.", "INPUT.TRAIN.", "DATALOADER.", "TEST.EVAL_PERIOD")


@dataclasses.dataclass(frozen=True)
class ModelZooRow:
    """One recipe: what it builds, how it trains, its size and cost, and what was published for it."""
    project: str
    config: str  # path in the repository: projects/<project>/configs/<recipe>
    model: str  # the composition: [meta-architecture: ][neck + ]decode head, e.g. "JPU + <decode head>"
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
    trained: Tuple[str, ...] = ()  # trained models (zoo://NAME) this recipe rebuilds (its opts: the schedule at most)
    trained_variants: int = 0  # trained models rebuilt from it with other network, data or test keys

    @property
    def recipe(self) -> str:
        """The recipe by name (``seg_engine://<project>/<path>``), found in a checkout and an installed package."""
        return f"seg_engine://{self.project}/{self.config.split('/configs/', 1)[1]}"

    @property
    def gflops(self) -> Optional[float]:
        return None if self.flops is None else self.flops / 1e9


def composition(cfg) -> str:
    """How the zoo names a recipe's model: its decode head, after its neck, after its meta-architecture when that
    is not the plain EncoderDecoder ("<head>", "<neck> + <head>", "<meta-architecture>: <head>")."""
    parts = " + ".join(name for name in (cfg.MODEL.NECK.NAME, cfg.MODEL.HEAD.NAME) if name)
    arch = cfg.MODEL.META_ARCHITECTURE
    return parts if arch == "EncoderDecoder" else f"{arch}: {parts}"


def repository_path(project: str, configs_dir: str, path: str) -> str:
    """Where a recipe stands in the repository, ``projects/<project>/configs/<path>``, wherever it was found."""
    return f"projects/{project}/configs/" + os.path.relpath(path, configs_dir).replace(os.sep, "/")


def list(flops: bool = False, flops_cache: str = FLOPS_CACHE_PATH,  # noqa: A001 (the zoo's verb)
         progress: Optional[Callable[[str], None]] = None) -> List[ModelZooRow]:
    """One row per recipe of every installed project (see :mod:`.recipes`).

    FLOPs come from ``flops_cache``; ``flops=True`` computes those missing from it (seconds to minutes
    per full-size model on a CPU) and adds each to the file at once, so an interrupted run resumes;
    ``flops=False`` leaves them None.
    """
    cache = read_flops_cache(flops_cache)
    # model_key -> (parameters, architecture_hash): recipes that differ only in schedule share a model
    built: Dict[str, Tuple[int, str]] = {}
    rows: List[ModelZooRow] = []
    projects = installed_projects()
    same_network: Dict[str, List[str]] = {}
    variants: Dict[str, int] = {}
    for model in trained_models().values():
        if any(not key.startswith(_SCHEDULE_KEYS) for key, _ in model.opts):
            variants[model.recipe] = variants.get(model.recipe, 0) + 1
        else:
            same_network.setdefault(model.recipe, []).append(model.name)
    for project, configs_dir, paths in installed_recipes():
        package = projects[project].__name__
        converters = tuple(sorted(name for name, fn in WEIGHT_CONVERTERS if
                                  (project_of(LAYOUTS[name]) == project if name in LAYOUTS else package_of(fn.__module__) == package)))
        published_path = os.path.join(configs_dir, PUBLISHED_FILE)
        published = load_published(published_path) if os.path.isfile(published_path) else {}
        for path in paths:
            if progress:
                progress(repository_path(project, configs_dir, path))
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
                entries[key] = {"flops": count, "size": builtins.list(size), "config": repository_path(project, configs_dir, path)}
                _write_cache_entries(entries, flops_cache)
            rows.append(ModelZooRow(
                project=project,
                config=repository_path(project, configs_dir, path),
                model=composition(cfg),
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
            name = rows[-1].recipe
            rows[-1] = dataclasses.replace(rows[-1], trained=tuple(sorted(same_network.get(name, ()))),
                                           trained_variants=variants.get(name, 0))
    return rows


