"""Every registered weight layout, checked the same way: its reference key table (listed once from the reference
model outside the repository) converts onto exactly the keys and shapes of the model its recipe builds, every
reference tensor used once (or dropped, or remade by the layout's finishing step), with the layout's examples; a
key of another layout is refused. Every registered converter is a declared layout."""
import os

import pytest
import torch

from seg_engine.checkpoint import LAYOUTS, WEIGHT_CONVERTERS, convert_weights
from seg_engine.plugins import load_installed_plugins
from seg_engine.utils.testing import ROOT, build_on_meta, load_config, map_key_table, read_key_table, state_shapes

load_installed_plugins()  # the projects register their layouts
TESTED = sorted(name for name, layout in LAYOUTS.items() if layout.key_table)


def test_every_converter_is_a_declared_layout_with_a_source():
    assert sorted(name for name, _ in WEIGHT_CONVERTERS) == sorted(LAYOUTS)
    assert all(layout.source for layout in LAYOUTS.values())
    assert all(layout.recipe for layout in LAYOUTS.values() if layout.key_table), "a key table needs a recipe"


@pytest.mark.parametrize("name", TESTED)
def test_reference_keys_map_onto_the_recipes_model(name):
    layout = LAYOUTS[name]
    table = read_key_table(os.path.join(ROOT, layout.key_table))
    ours = state_shapes(build_on_meta(load_config(layout.recipe, *layout.recipe_opts)))
    source = map_key_table(table, name, ours)
    used = [s for s in source.values() if s is not None]
    remade = len(source) - len(used)
    left = set(table) - set(used)
    assert len(left) - remade == len(table) - len(source), "each reference tensor is used, dropped or remade once"
    assert {ours_key: source[ours_key] for ours_key in layout.examples} == dict(layout.examples)


@pytest.mark.parametrize("name", TESTED)
def test_a_key_of_another_layout_is_refused(name):
    first = next(iter(read_key_table(os.path.join(ROOT, LAYOUTS[name].key_table))))
    with pytest.raises(KeyError):
        convert_weights({first: torch.zeros(1), "some_other_layout.weight": torch.zeros(1)}, name)
