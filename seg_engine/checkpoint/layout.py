"""WeightLayout: one public layout of weights, declared, and the converter that loads it.

Every outside layout (the authors' checkpoints, torchvision's, mmsegmentation's, smp's, transformers') is one
declaration: where its files come from, the rename rules of its keys (built from the shared vocabulary of
:mod:`.vocabulary`), the layouts of sub-networks it reuses (e.g. mmsegmentation's ImageNet ResNetV1c for every key
under ``backbone.``), and what it is tested against: the recipe whose model it loads into and the committed key
table of the reference's state dict (``tests/checkpoint/test_layouts.py`` runs every registered layout over its
table). Registering a layout registers its converter under its name in ``WEIGHT_CONVERTERS``, the name users put
in ``MODEL.WEIGHTS_FORMAT``.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

from .converters import WEIGHT_CONVERTERS, Rule, rename_keys

State = Dict[str, Any]

# name -> WeightLayout, every registered layout
LAYOUTS: Dict[str, "WeightLayout"] = {}


@dataclasses.dataclass(frozen=True)
class WeightLayout:
    """A layout of weights and how its keys become ours.

    Args:
        name: the converter's name (``MODEL.WEIGHTS_FORMAT``); it never changes once published.
        source: what it loads and where those files come from, one line (``tools/convert_weights.py --list``).
        rules: ``(pattern, replacement)`` renames of the keys no reused layout takes (see
            :func:`~seg_engine.checkpoint.converters.rename_keys`: unknown keys are refused), or ``fn(state) -> rules``
            for a layout whose keys say which variant it is (a deep or a plain stem, the number of blocks).
        reuses: ``(prefix, layout name)`` pairs: the file's keys that start with ``prefix`` go through that
            layout (the backbone's ImageNet layout, the JPU neck's), the others through ``rules``.
        drop: patterns of keys that are left out (an ImageNet classifier).
        prepare: ``fn(state) -> state`` before anything else (unwrapping a trainer's file, renames that a
            pattern cannot express).
        finish: ``fn(state) -> state`` on our keys at the end (reordering, reshaping or flipping tensors).
        recipe: the recipe (``seg_engine://<Project>/<path>``) whose model it loads into, with ``recipe_opts``
            (KEY VALUE overrides such as the reference's number of classes).
        key_table: the committed key table of the reference's state dict, relative to the repository root.
        examples: our key -> the reference's key, spot checks of the mapping that the test asserts.
    """

    name: str
    source: str
    rules: Union[Sequence[Rule], Callable[[State], Sequence[Rule]]] = ()
    reuses: Sequence[Tuple[str, str]] = ()
    drop: Sequence[str] = ()
    prepare: Optional[Callable[[State], State]] = None
    finish: Optional[Callable[[State], State]] = None
    recipe: str = ""
    recipe_opts: Sequence[Any] = ()
    key_table: str = ""
    examples: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def convert(self, state: State) -> State:
        """The file's state dict (unwrapped) in our keys."""
        if self.prepare is not None:
            state = self.prepare(state)
        out: State = {}
        rest = dict(state)
        for prefix, layout in self.reuses:
            part = {k: v for k, v in rest.items() if k.startswith(prefix)}
            for k in part:
                del rest[k]
            if part:
                out.update(LAYOUTS[layout].convert(part))
        rules = self.rules(rest) if callable(self.rules) else self.rules
        out.update(rename_keys(rest, rules, self.drop))
        return self.finish(out) if self.finish is not None else out


def register_layout(layout: WeightLayout) -> WeightLayout:
    """Register ``layout`` and its converter (``WEIGHT_CONVERTERS[layout.name]``); returns it."""
    if layout.name in LAYOUTS:
        raise KeyError(f"a weight layout named {layout.name!r} is registered already")
    for _, reused in layout.reuses:
        if reused not in LAYOUTS:
            raise KeyError(f"layout {layout.name!r} reuses {reused!r}, which is not registered (register it first)")
    LAYOUTS[layout.name] = layout

    def converter(state: State) -> State:
        return layout.convert(state)

    converter.__name__ = layout.name
    converter.__doc__ = layout.source
    WEIGHT_CONVERTERS._do_register(layout.name, converter)
    return layout


def project_of(layout: WeightLayout) -> str:
    """The project whose recipe the layout loads into ("" for a layout without one, e.g. an ImageNet backbone)."""
    prefix = "seg_engine://"
    return layout.recipe[len(prefix):].split("/", 1)[0] if layout.recipe.startswith(prefix) else ""
