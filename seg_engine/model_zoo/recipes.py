"""The recipes of every installed project: ``configs/**/*.yaml`` under each project's configs folder (the one that
ships with its package), Base-* files and the zoo's own data files excepted."""
from __future__ import annotations

import glob
import os
from typing import List, Tuple

import yaml

from ..config import load_config, resolve_config_path
from ..plugins import installed_projects, project_configs_dir

# Files of a configs folder that are data of the zoo, not recipes.
DATA_FILES = ("published.yaml", "trained.yaml")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _names_a_model(path: str) -> bool:
    """Whether the file or a file of its _BASE_ chain sets MODEL.META_ARCHITECTURE (fragments such as a test
    protocol do not)."""
    with open(path) as f:
        data = yaml.load(f, Loader=_YAML_LOADER) or {}
    if "META_ARCHITECTURE" in (data.get("MODEL") or {}):
        return True
    bases = data.get("_BASE_") or []
    return any(_names_a_model(resolve_config_path(base, relative_to=path)) for base in ([bases] if isinstance(bases, str) else bases))


def recipe_paths(project_dir: str) -> List[str]:
    """The recipes of the project whose folder holds ``configs/``: files that name a model, sorted."""
    configs = os.path.join(project_dir, "configs")
    paths = glob.glob(os.path.join(configs, "**", "*.yaml"), recursive=True)
    keep = [p for p in paths if not os.path.basename(p).startswith("Base-") and os.path.basename(p) not in DATA_FILES]
    return sorted((p for p in keep if _names_a_model(p)), key=lambda p: os.path.relpath(p, configs))


def installed_recipes() -> List[Tuple[str, str, List[str]]]:
    """(project, its configs folder, its recipes) of every installed project with recipes, by project name."""
    out = []
    for project in sorted(installed_projects()):
        configs = project_configs_dir(project)
        if configs is not None:
            out.append((project, configs, recipe_paths(os.path.dirname(configs))))
    return out


def load_recipe(path: str):
    """The config of a recipe (a path or ``seg_engine://<Project>/<path>``)."""
    return load_config(path)
