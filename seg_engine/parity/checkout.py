"""Importing a reference from a public repository's checkout without editing it or building anything.

Research repositories are rarely packages: their modules are top-level (``model``, ``models``, ``utils``), some import
a compiled extension or a download helper at import time, some run training code in a package ``__init__``. The
adapters work around that here, at run time and outside the checkout: the checkout goes first on ``sys.path``,
modules that only the unused parts need are stand-ins that fail when called, a package can be registered without
running its ``__init__``. Nothing is written into the checkout (no bytecode).
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import types
from typing import Any, Dict, Iterator


@contextlib.contextmanager
def _no_bytecode() -> Iterator[None]:
    before = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = before


def _inside(module: types.ModuleType, folder: str) -> bool:
    path = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", []) or []), "")
    return bool(path) and os.path.abspath(path).startswith(os.path.abspath(folder) + os.sep)


def import_from_checkout(root: str, module: str) -> types.ModuleType:
    """``module`` (e.g. ``"model.pspnet"``) imported from the checkout at ``root``, which goes first on sys.path.
    A module of the same top-level name imported from elsewhere (another ``utils``) is set aside first."""
    top = module.split(".")[0]
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        loaded = sys.modules[name]
        if not getattr(loaded, "__parity_stand_in__", False) and not _inside(loaded, root):
            del sys.modules[name]
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    with _no_bytecode():
        return importlib.import_module(module)


class Unavailable:
    """A stand-in for what the compared forward never uses (a compiled op, a download): fails when called."""

    def __init__(self, name: str, why: str = "is not available to the parity check") -> None:
        self._name, self._why = name, why

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{self._name} {self._why}")

    def __getattr__(self, item: str) -> "Unavailable":
        if item.startswith("__"):
            raise AttributeError(item)
        return Unavailable(f"{self._name}.{item}", self._why)


def stand_in_module(name: str, *, rest_unavailable: bool = False, **attributes: Any) -> types.ModuleType:
    """Register a module ``name`` holding ``attributes`` in sys.modules (parents as empty packages when missing);
    with ``rest_unavailable`` every other name is an :class:`Unavailable`."""
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    module.__parity_stand_in__ = True
    module.__path__ = []  # a package, so its submodules can be stand-ins too
    if rest_unavailable:
        def __getattr__(item: str) -> Any:
            if item.startswith("__"):
                raise AttributeError(item)
            return Unavailable(f"{name}.{item}")

        module.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules.get(parent) or stand_in_module(parent), child, module)
    return module


def package_without_init(name: str, folder: str) -> types.ModuleType:
    """Register ``name`` as the package at ``folder`` without running its ``__init__.py`` (which imports training
    or data code), so its submodules import as usual."""
    module = types.ModuleType(name)
    module.__path__ = [folder]
    module.__file__ = os.path.join(folder, "__init__.py")
    module.__package__ = name
    module.__parity_stand_in__ = True
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    return module


def module_of(name: str, **attributes: Any) -> types.ModuleType:
    """A package ``name`` holding ``attributes``, not registered anywhere (see :func:`modules_in_place`)."""
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    module.__path__ = []
    return module


@contextlib.contextmanager
def modules_in_place(modules: Dict[str, types.ModuleType]) -> Iterator[None]:
    """``modules`` in sys.modules while a checkout's files import, the previous entries restored after."""
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def module_from_file(name: str, path: str) -> types.ModuleType:
    """The file at ``path`` imported as module ``name`` (once: a second call returns the first), no bytecode
    written; for a checkout whose package name would shadow an installed one."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with _no_bytecode():
        spec.loader.exec_module(module)
    return module


class DecoratorRegistry:
    """An mmcv 1.x registry's ``register_module`` as a plain decorator (the class is returned unregistered)."""

    def register_module(self, *args: Any, **kwargs: Any) -> Any:
        return args[0] if args and isinstance(args[0], type) else (lambda cls: cls)
