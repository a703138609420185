"""Converters from outside checkpoint layouts (the papers' authors' code) to this toolbox's keys.

A converter is ``fn(state_dict) -> state_dict`` registered under a name; ``MODEL.WEIGHTS_FORMAT``
names the one the Checkpointer applies, and ``tools/convert_weights.py`` applies one offline.
"""
from __future__ import annotations

from typing import Any, Dict

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
