"""Converters from outside checkpoint layouts (the papers' authors' code) to this toolbox's keys.

A converter is ``fn(state_dict) -> state_dict`` registered under a name; ``MODEL.WEIGHTS_FORMAT``
names the one the Checkpointer applies, and ``tools/convert_weights.py`` applies one offline.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Sequence, Tuple

from fvcore.common.registry import Registry

WEIGHT_CONVERTERS = Registry("WEIGHT_CONVERTERS")
WEIGHT_CONVERTERS.__doc__ = "name -> fn(outside state dict) -> state dict with this toolbox's keys"


def unwrap_state_dict(loaded: Dict[str, Any]) -> Dict[str, Any]:
    """The tensors of a checkpoint: ``state_dict`` or ``model`` inside a dict, ``module.`` stripped."""
    for key in ("state_dict", "model"):
        if isinstance(loaded.get(key), dict):
            loaded = loaded[key]
            break
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in loaded.items()}


def convert_weights(loaded: Dict[str, Any], weights_format: str) -> Dict[str, Any]:
    """Apply the converter named ``weights_format`` to a loaded checkpoint."""
    if weights_format not in WEIGHT_CONVERTERS:
        known = ", ".join(sorted(k for k, _ in WEIGHT_CONVERTERS)) or "none registered"
        raise KeyError(f"MODEL.WEIGHTS_FORMAT {weights_format!r} is not a registered converter (known: {known})")
    return WEIGHT_CONVERTERS.get(weights_format)(unwrap_state_dict(loaded))


Rule = Tuple[str, str]


def rename_keys(state: Dict[str, Any], rules: Sequence[Rule], drop: Sequence[str] = ()) -> Dict[str, Any]:
    """Rename each key by the first ``(pattern, replacement)`` whose regex matches at its start.

    ``<n>`` in a result becomes n - 1 (for layouts that count from 1). Keys matching a ``drop``
    pattern are left out (e.g. an ImageNet classifier). A key that neither a rule nor ``drop``
    matches, or two keys renamed to the same name, raise a KeyError naming them, so a checkpoint of
    another layout fails loudly instead of loading half its weights.
    """
    compiled = [(re.compile(pattern), replacement) for pattern, replacement in rules]
    dropped = [re.compile(pattern) for pattern in drop]
    out: Dict[str, Any] = {}
    unknown = []
    for key, value in state.items():
        if any(p.match(key) for p in dropped):
            continue
        for pattern, replacement in compiled:
            if pattern.match(key):
                new_key = re.sub(r"<(\d+)>", lambda m: str(int(m.group(1)) - 1), pattern.sub(replacement, key, count=1))
                if new_key in out:
                    raise KeyError(f"two checkpoint keys map to {new_key!r} (the second is {key!r})")
                out[new_key] = value
                break
        else:
            unknown.append(key)
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise KeyError(f"{len(unknown)} checkpoint keys match no rule of this layout: {shown}")
    return out
