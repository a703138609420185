"""Every recipe of every installed project (and the core's demo) loads, names registered datasets and builds its
model; the recipes that existed before the "one model, many parts" redesign build exactly the model they built
then: the same number of parameters and the same state-dict keys and shapes (data/recipe_models.json, written at
commit 4058a8b from every YAML under projects/*/configs and configs/Demo that builds a model, Base files included).
Recipes that differ only in schedule or data build the same model: it is built once (``model_key``)."""
import functools
import hashlib
import json
import os

import pytest

from seg_engine.data import DatasetCatalog
from seg_engine.data.datasets import register_folder_from_cfg
from seg_engine.model_zoo import installed_recipes, model_key, repository_path
from seg_engine.utils.testing import ROOT, build_on_meta, load_config, num_params

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "recipe_models.json")) as f:
    BEFORE = json.load(f)
RECIPES = {repository_path(project, configs, path) for project, configs, paths in installed_recipes() for path in paths}
RECIPES |= {"configs/Demo/fcn_shapes.yaml"}


@pytest.mark.parametrize("recipe", sorted(RECIPES | set(BEFORE)))
def test_recipe_builds_its_model(recipe):
    cfg = load_config(os.path.join(ROOT, recipe))
    register_folder_from_cfg(cfg)  # a recipe of the folder dataset names its splits (registered lazily)
    assert [name for name in (*cfg.DATASETS.TRAIN, *cfg.DATASETS.TEST) if name not in DatasetCatalog] == []
    parameters, keys, keys_sha256 = model_summary(model_key(cfg), recipe)
    if recipe in BEFORE:
        expected = BEFORE[recipe]
        assert parameters == expected["parameters"]
        assert keys == expected["keys"]
        assert keys_sha256 == expected["keys_sha256"], "state-dict keys differ"


@functools.lru_cache(maxsize=None)
def _summary(key: str, recipe: str):
    model = build_on_meta(load_config(os.path.join(ROOT, recipe)))
    lines = sorted(f"{k} {tuple(v.shape)}" for k, v in model.state_dict().items())
    return num_params(model), len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


_FIRST_RECIPE = {}


def model_summary(key: str, recipe: str):
    """(parameters, number of keys, sha256 of the sorted "key shape" lines) of the model of ``recipe``, built once
    per model config (the first recipe with ``key`` builds it)."""
    return _summary(key, _FIRST_RECIPE.setdefault(key, recipe))


def test_every_recipe_of_before_is_still_a_recipe_or_a_base():
    missing = [r for r in BEFORE if not os.path.isfile(os.path.join(ROOT, r))]
    assert missing == []
    assert {r for r in BEFORE if not os.path.basename(r).startswith("Base-")} <= RECIPES
