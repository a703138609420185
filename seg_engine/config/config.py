"""get_cfg() and a CfgNode that refuses unknown keys and wrong types with one clear line."""
from __future__ import annotations

import difflib
from typing import Any, Callable, Dict, Iterable, List

import yaml
from fvcore.common.config import CfgNode as _FvCfgNode
from iopath.common.file_io import g_pathmgr
from yacs.config import _check_and_coerce_cfg_value_type

BASE_KEY = "_BASE_"
_CONFIG_EXTENSIONS: List[Callable[["CfgNode"], None]] = []
# package of a plugin -> the full keys its config extension added (filled by get_cfg()).
_PLUGIN_KEYS: Dict[str, List[str]] = {}


class ConfigError(ValueError):
    """An unknown key or a value of the wrong type, in a file or on the command line."""


class CfgNode(_FvCfgNode):
    """fvcore's CfgNode (``_BASE_`` inheritance) that names the file, key and closest keys on error."""

    def merge_from_file(self, cfg_filename: str, allow_unsafe: bool = False) -> None:
        self._check_file(cfg_filename)
        super().merge_from_file(cfg_filename, allow_unsafe=allow_unsafe)

    def merge_from_list(self, cfg_list: List[str]):
        if len(cfg_list) % 2:
            raise ConfigError(f"command line: overrides must be KEY VALUE pairs, got {list(cfg_list)}")
        for key, value in zip(cfg_list[0::2], cfg_list[1::2]):
            self._check_value(key, _FvCfgNode._decode_cfg_value(value), "command line")
        return super().merge_from_list(cfg_list)

    def _check_file(self, filename: str) -> None:
        """Check every key of ``filename`` and of its ``_BASE_`` files against this tree."""
        with g_pathmgr.open(filename, "r") as f:
            raw = yaml.safe_load(f) or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{filename}: a config file must hold a mapping of keys")
        bases = raw.pop(BASE_KEY, [])
        for base in [bases] if isinstance(bases, str) else bases:
            if not base.startswith(("/", "http://", "https://")):
                import os

                base = os.path.join(os.path.dirname(filename), os.path.expanduser(base))
            self._check_file(base)
        for key, value in _flatten(raw).items():
            self._check_value(key, value, filename)

    def _check_value(self, full_key: str, value: Any, source: str) -> None:
        node: Any = self
        parts = full_key.split(".")
        for i, part in enumerate(parts):
            if not isinstance(node, _FvCfgNode) or part not in node:
                close = difflib.get_close_matches(full_key, _all_keys(self), n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ConfigError(f"{source}: unknown config key {full_key}{hint}")
            node = node[part]
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
    from ..plugins import load_installed_plugins
    from .defaults import _C

    load_installed_plugins()
    cfg = CfgNode(_C.clone())
    for extend in _CONFIG_EXTENSIONS:
        before = set(_all_keys(cfg))
        extend(cfg)
        _PLUGIN_KEYS[extend.__module__.split(".")[0]] = sorted(set(_all_keys(cfg)) - before)
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
