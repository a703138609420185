"""Every registered converter (the core's and every installed project's weight layouts) has a parity entry: a
reference tools/check_parity.py can build, or, where none can run, what the converter is checked against instead.
A converter added later fails here until its owner registers its entry (``<package>/parity.py``)."""
from seg_engine.checkpoint import WEIGHT_CONVERTERS
from seg_engine.parity import PARITY_REFERENCES
from seg_engine.plugins import load_installed_plugins

load_installed_plugins()


def test_every_registered_converter_has_a_parity_entry():
    covered = {entry.converter for entry in PARITY_REFERENCES.values()}
    assert sorted(name for name, _ in WEIGHT_CONVERTERS if name not in covered) == []


def test_every_entry_runs_or_says_what_it_is_checked_against():
    for entry in PARITY_REFERENCES.values():
        assert entry.runnable or entry.checked_against, entry.name
        assert not entry.converter or entry.converter in WEIGHT_CONVERTERS
        if entry.runnable:
            recipe, _ = entry.recipe_and_opts()
            assert recipe and entry.requires.how_to_get(), entry.name
