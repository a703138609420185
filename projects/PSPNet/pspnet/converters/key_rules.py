"""Renaming a state dict by regular-expression rules, refusing keys that no rule accounts for."""
from __future__ import annotations

import re
from typing import Any, Dict, Sequence, Tuple

Rule = Tuple[str, str]


def rename_keys(state: Dict[str, Any], rules: Sequence[Rule], drop: Sequence[str] = ()) -> Dict[str, Any]:
    """Rename each key by the first ``(pattern, replacement)`` whose pattern matches its start.

    Keys matching a ``drop`` pattern are left out (e.g. an ImageNet classifier). A key that neither
    a rule nor ``drop`` matches, or two keys renamed to the same name, raise a KeyError naming them,
    so a checkpoint of another layout fails loudly instead of loading half its weights.
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
                new_key = pattern.sub(replacement, key, count=1)
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
