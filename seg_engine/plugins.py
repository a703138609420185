"""load_plugins(): import the projects that register model parts, converters and config keys.

A project is a package that, on import, registers its parts into the registries and its config keys with
``seg_engine.config.register_config``. Installed projects live under the ``seg_engine_projects`` namespace and are
announced (project name -> package) in the entry-point group ``seg_engine.projects``; others are named with
``--plugin MODULE_OR_FOLDER``.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from importlib.metadata import entry_points
from types import ModuleType
from typing import Dict, Iterable, List, Optional, Set

ENTRY_POINT_GROUP = "seg_engine.projects"
NAMESPACE = "seg_engine_projects"
logger = logging.getLogger(__name__)


class PluginError(ImportError):
    """A plugin that cannot be found or fails to import."""


def package_of(module_name: str) -> str:
    """The plugin package a module belongs to: ``seg_engine_projects.<package>`` for an installed project, else
    the top-level package (``seg_engine`` for the core, ``mynet`` for ``--plugin mynet``)."""
    parts = module_name.split(".")
    return ".".join(parts[:2]) if parts[0] == NAMESPACE and len(parts) > 1 else parts[0]


_installed: Dict[str, ModuleType] = {}


def installed_projects() -> Dict[str, ModuleType]:
    """Project name -> its imported package, for every installed project (imported once per process)."""
    if not _installed:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            try:
                _installed[ep.name] = ep.load()
            except Exception as e:
                raise PluginError(f"installed project {ep.name!r} ({ep.value}) failed to import: {e}") from e
    return dict(_installed)


def load_installed_plugins() -> List[ModuleType]:
    """Import the installed projects (entry points) once per process; get_cfg() calls it."""
    return list(installed_projects().values())


def project_configs_dir(project: str) -> Optional[str]:
    """The recipes folder of the installed project named ``project`` (None when there is none): the package's
    ``configs`` (the link setup.py makes, or the wheel's copy), else ``configs`` beside the package."""
    module = installed_projects().get(project)
    if module is None:
        return None
    package_dir = os.path.dirname(os.path.abspath(module.__file__))
    for folder in (os.path.join(package_dir, "configs"), os.path.join(os.path.dirname(package_dir), "configs")):
        if os.path.isdir(folder):
            return folder
    return None


def project_of_package(package: str) -> Optional[str]:
    """The installed project name of a package (``seg_engine_projects.<package>`` -> its ``<Name>``), else None."""
    for name, module in installed_projects().items():
        if module.__name__ == package:
            return name
    return None


def _installed_at(path: str) -> Optional[ModuleType]:
    """The installed project package whose folder is ``path`` (so a test that loads a project's folder gets the
    installed package instead of a second copy registering everything again)."""
    real = os.path.realpath(path)
    for module in installed_projects().values():
        if os.path.realpath(os.path.dirname(module.__file__)) == real:
            return module
    return None


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
    installed = [_installed_at(os.path.join(parent, p)) for p in packages]
    if all(installed):
        return installed
    if parent not in sys.path:
        sys.path.insert(0, parent)
    return [m or importlib.import_module(p) for m, p in zip(installed, packages)]


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


def packages_in_use(cfg) -> Set[str]:
    """The plugin packages that registered the meta-architecture, backbone, neck and heads ``cfg`` names."""
    from .modeling import BACKBONE_REGISTRY, HEAD_REGISTRY, META_ARCH_REGISTRY, NECK_REGISTRY
    from .modeling.heads import head_nodes

    named = [
        (META_ARCH_REGISTRY, cfg.MODEL.META_ARCHITECTURE),
        (BACKBONE_REGISTRY, cfg.MODEL.BACKBONE.NAME),
        (NECK_REGISTRY, cfg.MODEL.NECK.NAME),
    ] + [(HEAD_REGISTRY, node.NAME) for _, node in head_nodes(cfg)]
    return {package_of(registry.get(name).__module__) for registry, name in named if name in registry}


def load_plugins(extra: Iterable[str] = ()) -> List[ModuleType]:
    """Import every installed project (entry points) and every ``extra`` plugin; call it before get_cfg()."""
    modules = load_installed_plugins()
    for spec in extra:
        modules.extend(load_plugin(spec))
    if modules:
        logger.info(f"Loaded plugins: {', '.join(m.__name__ for m in modules)}")
    return modules
