"""Every recipe builds the model it built before the "one model, many parts" redesign: the same number of
parameters and the same state-dict keys and shapes (data/recipe_models.json, written at commit 4058a8b, before
the change, from every YAML under projects/*/configs and configs/Demo that builds a model)."""
import hashlib
import json
import os

import pytest

from seg_engine.utils.testing import ROOT, build_on_meta, load_config, num_params

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "recipe_models.json")) as f:
    BEFORE = json.load(f)


@pytest.mark.parametrize("recipe", sorted(BEFORE))
def test_recipe_builds_the_same_model_as_before(recipe):
    model = build_on_meta(load_config(os.path.join(ROOT, recipe)))
    lines = sorted(f"{k} {tuple(v.shape)}" for k, v in model.state_dict().items())
    expected = BEFORE[recipe]
    assert num_params(model) == expected["parameters"]
    assert len(lines) == expected["keys"]
    assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == expected["keys_sha256"], "state-dict keys differ"
