"""Every registered weight layout, checked the same way: its reference key table (listed once from the reference
model outside the repository, its header stating how many keys) converts onto exactly the keys and shapes of the
model its recipe builds, every reference tensor used once (or dropped, or remade by a finishing step where the rules
put it), as the layout's examples say (our key -> the reference key the rules put there); a key of another layout is
refused by name. Every registered converter is a declared layout."""
import dataclasses
import os
import re

import pytest
import torch

from seg_engine.checkpoint import LAYOUTS, WEIGHT_CONVERTERS, convert_weights
from seg_engine.plugins import load_installed_plugins
from seg_engine.utils.testing import ROOT, build_on_meta, load_config, map_key_table, read_key_table, state_shapes

load_installed_plugins()  # the projects register their layouts
TESTED = sorted(name for name, layout in LAYOUTS.items() if layout.key_table)
KEY_COUNT = re.compile(r"\b(\d[\d,]*) keys\b")


def key_table(name):
    return read_key_table(os.path.join(ROOT, LAYOUTS[name].key_table))


def test_every_converter_is_a_declared_layout_with_a_source():
    assert sorted(name for name, _ in WEIGHT_CONVERTERS) == sorted(LAYOUTS)
    assert all(layout.source for layout in LAYOUTS.values())
    assert all(layout.recipe for layout in LAYOUTS.values() if layout.key_table), "a key table needs a recipe"


@pytest.mark.parametrize("name", TESTED)
def test_the_key_tables_header_states_its_number_of_keys(name):
    with open(os.path.join(ROOT, LAYOUTS[name].key_table)) as f:
        stated = [int(m.group(1).replace(",", "")) for line in f if line.startswith("#") for m in KEY_COUNT.finditer(line)]
    assert stated == [len(key_table(name))], "the header states the number of keys once, e.g. '# 370 keys'"


def without_finishing_steps(monkeypatch):
    """Every registered layout's ``finish`` switched off (reused layouts are looked up in LAYOUTS)."""
    for name, layout in list(LAYOUTS.items()):
        monkeypatch.setitem(LAYOUTS, name, dataclasses.replace(layout, finish=None))


@pytest.mark.parametrize("name", TESTED)
def test_reference_keys_map_onto_the_recipes_model(name, monkeypatch):
    layout = LAYOUTS[name]
    table = key_table(name)
    ours = state_shapes(build_on_meta(load_config(layout.recipe, *layout.recipe_opts)))
    source = map_key_table(table, name, ours)

    # Without the finishing steps every key holds its own reference tensor (none invented; those left out were
    # dropped); the finishing steps add or remove no key and leave every tensor they do not remake where it was.
    tensors = {k: torch.empty(s, device="meta") for k, s in table.items()}
    source_of = {id(t): k for k, t in tensors.items()}
    without_finishing_steps(monkeypatch)
    renamed = {k: source_of.get(id(t)) for k, t in LAYOUTS[name].convert(dict(tensors)).items()}
    assert None not in renamed.values() and len(set(renamed.values())) == len(renamed)
    assert set(renamed) == set(source)
    assert {k: renamed[k] for k, s in source.items() if s is not None} == {k: s for k, s in source.items() if s is not None}
    assert {ours_key: renamed[ours_key] for ours_key in layout.examples} == dict(layout.examples)


@pytest.mark.parametrize("name", TESTED)
def test_a_key_of_another_layout_is_refused(name):
    state = {k: torch.empty(s, device="meta") for k, s in key_table(name).items()}
    state["some_other_layout.weight"] = torch.zeros(1)
    with pytest.raises(KeyError, match=r"^'?1 checkpoint keys match no rule of this layout: some_other_layout\.weight'?$"):
        convert_weights(state, name)
