"""load_plugins(): import the projects that register models and config keys.

A project is a package that, on import, registers its meta-architecture(s) into the registries and
its config keys with ``seg_engine.config.register_config``. Installed projects are found through the
entry-point group ``seg_engine.projects``; others are named with ``--plugin MODULE_OR_FOLDER``.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from importlib.metadata import entry_points
from types import ModuleType
from typing import Iterable, List, Set

ENTRY_POINT_GROUP = "seg_engine.projects"
logger = logging.getLogger(__name__)


class PluginError(ImportError):
    """A plugin that cannot be found or fails to import."""


def _import_folder(path: str) -> List[ModuleType]:
    """A package folder (has __init__.py), a project folder holding packages, or a .py file."""
    path = os.path.abspath(path)
    if os.path.isfile(path):
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return [module]
    if os.path.isfile(os.path.join(path, "__init__.py")):
        parent, name = os.path.split(path)
        packages = [name]
    else:
        parent = path
        packages = sorted(d for d in os.listdir(path) if os.path.isfile(os.path.join(path, d, "__init__.py")))
        if not packages:
            raise PluginError(f"plugin folder {path} holds no Python package (a folder with __init__.py)")
    if parent not in sys.path:
        sys.path.insert(0, parent)
    return [importlib.import_module(p) for p in packages]


def load_plugin(spec: str) -> List[ModuleType]:
    """Import one plugin given as a module name, a package/project folder or a .py file."""
    try:
        if os.path.exists(spec):
            return _import_folder(spec)
        return [importlib.import_module(spec)]
    except ModuleNotFoundError as e:
        if os.path.exists(spec) or e.name != spec.split(".")[0]:
            raise
        raise PluginError(f"plugin {spec!r} is neither an importable module nor an existing path") from None


_installed: List[ModuleType] = []


def load_installed_plugins() -> List[ModuleType]:
    """Import the installed projects (entry points) once per process; get_cfg() calls it."""
    if not _installed:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                _installed.append(ep.load())
            except Exception as e:
                raise PluginError(f"installed project {ep.name!r} ({ep.value}) failed to import: {e}") from e
    return list(_installed)


def packages_in_use(cfg) -> Set[str]:
    """The top-level packages that registered the meta-architecture, backbone and heads ``cfg`` names."""
    from .modeling import BACKBONE_REGISTRY, HEAD_REGISTRY, META_ARCH_REGISTRY

    named = [
        (META_ARCH_REGISTRY, cfg.MODEL.META_ARCHITECTURE),
        (BACKBONE_REGISTRY, cfg.MODEL.BACKBONE.NAME),
        (HEAD_REGISTRY, cfg.MODEL.HEAD.NAME),
        (HEAD_REGISTRY, cfg.MODEL.AUX_HEAD.NAME),
    ]
    return {registry.get(name).__module__.split(".")[0] for registry, name in named if name in registry}


def load_plugins(extra: Iterable[str] = ()) -> List[ModuleType]:
    """Import every installed project (entry points) and every ``extra`` plugin; call it before get_cfg()."""
    modules = load_installed_plugins()
    for spec in extra:
        modules.extend(load_plugin(spec))
    if modules:
        logger.info(f"Loaded plugins: {', '.join(m.__name__ for m in modules)}")
    return modules
