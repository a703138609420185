"""get_cfg() and a CfgNode that refuses unknown keys and wrong types with one clear line."""
from __future__ import annotations

import difflib
import os
from typing import Any, Callable, Dict, Iterable, List, Optional

import yaml
from fvcore.common.config import CfgNode as _FvCfgNode
from iopath.common.file_io import g_pathmgr
from yacs.config import _check_and_coerce_cfg_value_type

from .paths import resolve_config_path
from .renames import upgrade_flat

BASE_KEY = "_BASE_"
_CONFIG_EXTENSIONS: List[Callable[["CfgNode"], None]] = []
# package of a plugin -> the full keys its config extension added (filled by get_cfg()).
_PLUGIN_KEYS: Dict[str, List[str]] = {}


class ConfigError(ValueError):
    """An unknown key or a value of the wrong type, in a file or on the command line."""


class CfgNode(_FvCfgNode):
    """fvcore's CfgNode (``_BASE_`` inheritance) that names the file, key and closest keys on error."""

    def merge_from_file(self, cfg_filename: str, allow_unsafe: bool = False) -> None:
        """Merge a YAML file and its ``_BASE_`` chain; ``seg_engine://NAME`` names an installed recipe."""
        cfg_filename = resolve_config_path(cfg_filename)
        self._check_file(cfg_filename)
        loaded = self._load_with_base(cfg_filename, [])
        self.merge_from_other_cfg(type(self)(loaded))

    def merge_from_list(self, cfg_list: List[str]):
        if len(cfg_list) % 2:
            raise ConfigError(f"command line: overrides must be KEY VALUE pairs, got {list(cfg_list)}")
        decoded = {key: _FvCfgNode._decode_cfg_value(value) for key, value in zip(cfg_list[0::2], cfg_list[1::2])}
        pairs = []
        for key, value in upgrade_flat(decoded, "command line").items():
            self._check_value(key, value, "command line")
            if isinstance(value, dict) and isinstance(self._default(key), (list, tuple)):
                value = [list(item) for item in value.items()]
            pairs += [key, repr(value)]
        return super().merge_from_list(pairs)

    def _default(self, full_key: str) -> Any:
        """The current value of ``full_key``; None for a key this tree lacks."""
        node: Any = self
        for part in full_key.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def _mappings_as_pairs(self, tree: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
        """A mapping given for a key whose default is a list (``LABEL_MAP: {255: 1}``) becomes the
        list of its ``[key, value]`` pairs, the form the key holds."""
        out = {}
        for k, v in tree.items():
            full = f"{prefix}{k}"
            if isinstance(v, dict) and isinstance(self._default(full), (list, tuple)):
                v = [list(item) for item in v.items()]
            elif isinstance(v, dict):
                v = self._mappings_as_pairs(v, f"{full}.")
            out[k] = v
        return out

    def _read(self, filename: str, chain: List[str]) -> Dict[str, Any]:
        """One file's mapping (``_BASE_`` kept), mappings of list keys as pairs, old keys upgraded."""
        try:
            with g_pathmgr.open(filename, "r") as f:
                raw = yaml.safe_load(f) or {}
        except FileNotFoundError:
            via = f" (the _BASE_ of {chain[-1]})" if chain else ""
            raise ConfigError(f"config file {filename}{via} does not exist") from None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            raise ConfigError(f"{where}: YAML syntax error: {problem}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{filename}: a config file must hold a mapping of keys")
        bases = raw.pop(BASE_KEY, [])
        tree = _unflatten(upgrade_flat(_flatten(self._mappings_as_pairs(raw)), filename))
        tree[BASE_KEY] = [bases] if isinstance(bases, str) else list(bases)
        return tree

    def _bases(self, filename: str, tree: Dict[str, Any], chain: List[str]) -> List[str]:
        """The ``_BASE_`` files of ``filename`` as paths; a cycle is an error."""
        out = []
        seen = [os.path.realpath(c) for c in chain + [filename]]
        for base in tree.pop(BASE_KEY):
            path = resolve_config_path(base, relative_to=filename)
            if os.path.realpath(path) in seen:
                raise ConfigError(f"circular _BASE_: {' -> '.join(chain + [filename, path])}")
            out.append(path)
        return out

    def _check_file(self, filename: str, chain: Optional[List[str]] = None) -> None:
        """Check every key of ``filename`` and of its ``_BASE_`` files against this tree."""
        chain = chain or []
        tree = self._read(filename, chain)
        for base in self._bases(filename, tree, chain):
            self._check_file(base, chain + [filename])
        for key, value in _flatten(tree).items():
            self._check_value(key, value, filename)

    def _load_with_base(self, filename: str, chain: List[str]) -> Dict[str, Any]:
        """fvcore's load_yaml_with_base, reading each file through :meth:`_read` (so old keys of a base are
        upgraded before a child overrides them) and resolving ``seg_engine://`` bases."""
        tree = self._read(filename, chain)
        merged: Dict[str, Any] = {}
        for base in self._bases(filename, tree, chain):
            _merge_into(self._load_with_base(base, chain + [filename]), merged)
        _merge_into(tree, merged)
        return merged

    def _check_value(self, full_key: str, value: Any, source: str) -> None:
        node: Any = self
        parts = full_key.split(".")
        for i, part in enumerate(parts):
            if not isinstance(node, _FvCfgNode) or part not in node:
                close = difflib.get_close_matches(full_key, _all_keys(self), n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ConfigError(f"{source}: unknown config key {full_key}{hint}")
            node = node[part]
        if isinstance(value, dict) and isinstance(node, (list, tuple)):
            return  # a mapping for a list of pairs, such as DATASETS.FOLDER.LABEL_MAP
        if isinstance(node, _FvCfgNode):
            if isinstance(value, dict):
                return
            raise ConfigError(f"{source}: {full_key} is a group of keys, not a value")
        try:
            _check_and_coerce_cfg_value_type(_FvCfgNode._decode_cfg_value(value), node, parts[-1], full_key)
        except ValueError:
            raise ConfigError(
                f"{source}: {full_key} must be of type {type(node).__name__} "
                f"(default {node!r}), got {value!r}"
            ) from None


def _flatten(tree: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in tree.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _unflatten(flat: Dict[str, Any]) -> Dict[str, Any]:
    tree: Dict[str, Any] = {}
    for key, value in flat.items():
        *path, leaf = key.split(".")
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def _merge_into(a: Dict[str, Any], b: Dict[str, Any]) -> None:
    """Merge mapping ``a`` into ``b``, ``a``'s values winning."""
    for k, v in a.items():
        if isinstance(v, dict) and isinstance(b.get(k), dict):
            _merge_into(v, b[k])
        else:
            b[k] = v


def _all_keys(node: _FvCfgNode, prefix: str = "") -> List[str]:
    keys = []
    for k, v in node.items():
        keys.extend(_all_keys(v, f"{prefix}{k}.") if isinstance(v, _FvCfgNode) else [f"{prefix}{k}"])
    return keys


def register_config(fn: Callable[[CfgNode], None]) -> Callable[[CfgNode], None]:
    """Decorator for a plugin's ``fn(cfg)`` that adds its keys; get_cfg() runs every one."""
    if fn not in _CONFIG_EXTENSIONS:
        _CONFIG_EXTENSIONS.append(fn)
    return fn


def get_cfg() -> CfgNode:
    """A fresh copy of the default tree, extended by every installed project and registered plugin.

    The installed projects (entry points) are imported first, so a run's own ``config.yaml`` loads in
    a fresh interpreter; a project that is not installed must be loaded before (``--plugin``).
    """
    from ..plugins import load_installed_plugins, package_of
    from .defaults import _C

    load_installed_plugins()
    cfg = CfgNode(_C.clone())
    for extend in _CONFIG_EXTENSIONS:
        before = set(_all_keys(cfg))
        extend(cfg)
        _PLUGIN_KEYS[package_of(extend.__module__)] = sorted(set(_all_keys(cfg)) - before)
    return cfg


def without_unused_plugin_keys(cfg: CfgNode, used_packages: Iterable[str]) -> CfgNode:
    """A copy of ``cfg`` without the keys that plugins other than ``used_packages`` added, so a run's
    config.yaml shows only the settings of the projects it uses."""
    used = set(used_packages)
    out = cfg.clone()
    out.defrost()
    for package, keys in _PLUGIN_KEYS.items():
        if package in used:
            continue
        for key in keys:
            *path, leaf = key.split(".")
            nodes = [out]
            for part in path:
                nodes.append(nodes[-1].get(part) if isinstance(nodes[-1], _FvCfgNode) else None)
            if not isinstance(nodes[-1], _FvCfgNode) or leaf not in nodes[-1]:
                continue
            del nodes[-1][leaf]
            for parent, part, node in reversed(list(zip(nodes[:-1], path, nodes[1:]))):
                if len(node):
                    break
                del parent[part]
    return out
