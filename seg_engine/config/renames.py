"""Keys and values that earlier versions wrote, mapped to today's, so old recipes and runs' config.yaml keep loading.

A rename is registered by whoever owns the old name (the core, or the project whose meta-architecture or key it
was): :func:`register_renamed_key` for a key that moved (its value may be converted), :func:`register_renamed_value`
for a value of a key that is now spelled with other keys (a removed meta-architecture is named by its parts).
Files and command lines are upgraded one by one as they are read, before any key is checked, and each old
spelling logs one deprecation line naming where it was found.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Hashable, Tuple, Union

logger = logging.getLogger(__name__)

# old full key -> (fn(value, file) -> {new full key: value}, why)
_RENAMED_KEYS: Dict[str, Tuple[Callable[[Any, Dict[str, Any]], Dict[str, Any]], str]] = {}
# (full key, old value) -> ({full key: value} or fn(file) -> {full key: value}, why)
_RENAMED_VALUES: Dict[Tuple[str, Hashable], Tuple[Union[Dict[str, Any], Callable[[Dict[str, Any]], Dict[str, Any]]], str]] = {}
_WARNED: set = set()


def register_renamed_key(old_key: str, convert: Callable[[Any, Dict[str, Any]], Dict[str, Any]], why: str = "") -> None:
    """``old_key`` (e.g. ``MODEL.HEAD.IN_FEATURE``) is read as the keys ``convert(value, file)`` returns (e.g.
    ``{"MODEL.HEAD.IN_FEATURES": [value]}``; an empty dict drops it); ``file`` is every key -> value of the file
    or command line it was found in, for a key whose meaning depended on another."""
    _RENAMED_KEYS[old_key] = (convert, why)


def register_renamed_value(
    key: str, old_value: Hashable, replacement: Union[Dict[str, Any], Callable[[Dict[str, Any]], Dict[str, Any]]],
    why: str = "",
) -> None:
    """``key: old_value`` (e.g. ``MODEL.META_ARCHITECTURE: PSPNet``) is read as the keys of ``replacement`` (or of
    ``replacement(file)``, given every key -> value of the file it was found in; None: the file is not an old one
    and the value stays)."""
    _RENAMED_VALUES[(key, old_value)] = (replacement, why)


def upgrade_flat(flat: Dict[str, Any], source: str) -> Dict[str, Any]:
    """``flat`` (full key -> value, in file order) with every old key and value replaced by today's."""
    out: Dict[str, Any] = {}
    for key, value in flat.items():
        replaced = _replacement(key, value, flat)
        if replaced is None:
            out[key] = value
            continue
        new, why = replaced
        _warn(source, key, value, new, why)
        out.update(upgrade_flat(new, source))
    return out


def _replacement(key: str, value: Any, flat: Dict[str, Any]):
    if key in _RENAMED_KEYS:
        convert, why = _RENAMED_KEYS[key]
        return convert(value, flat), why
    try:
        found = _RENAMED_VALUES.get((key, value))
    except TypeError:  # an unhashable value (a list) is never a renamed value
        return None
    if found is None:
        return None
    replacement, why = found
    new = replacement(flat) if callable(replacement) else dict(replacement)
    return None if new is None else (new, why)


def _warn(source: str, key: str, value: Any, new: Dict[str, Any], why: str) -> None:
    if (source, key, repr(value)) in _WARNED:
        return
    _WARNED.add((source, key, repr(value)))
    spelled = ", ".join(f"{k} {v!r}" for k, v in new.items()) or "nothing (the key is gone)"
    logger.warning(f"{source}: {key} {value!r} is deprecated, read as {spelled}" + (f" ({why})" if why else ""))
