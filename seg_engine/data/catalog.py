"""Registries of datasets (name -> function returning a list of dicts) and their metadata."""
from __future__ import annotations

from typing import Any, Callable, Dict, List


class _DatasetCatalog:
    """``register(name, fn)``; ``get(name)`` calls ``fn()`` and returns its list of dicts.

    Each dict has at least ``file_name`` and ``sem_seg_file_name``; ``height``/``width`` when known.
    """

    def __init__(self) -> None:
        self._funcs: Dict[str, Callable[[], List[dict]]] = {}

    def register(self, name: str, func: Callable[[], List[dict]]) -> None:
        if not callable(func):
            raise TypeError(f"DatasetCatalog.register({name!r}): expected a function, got {type(func)}")
        if name in self._funcs:
            raise KeyError(f"dataset {name!r} is already registered")
        self._funcs[name] = func

    def get(self, name: str) -> List[dict]:
        if name not in self._funcs:
            raise KeyError(f"dataset {name!r} is not registered; registered: {', '.join(sorted(self._funcs))}")
        return self._funcs[name]()

    def list(self) -> List[str]:
        return sorted(self._funcs)

    def remove(self, name: str) -> None:
        self._funcs.pop(name)

    def __contains__(self, name: str) -> bool:
        return name in self._funcs


class Metadata:
    """Attributes of a dataset: ``classes``, ``palette``, ``ignore_label``, ``label_map`` ...

    ``label_map``, when set, is a uint8/int array that maps a raw mask value to its train id
    (``ignore_label`` for values to ignore), e.g. ADE20K's reduce-zero-label.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def set(self, **kwargs: Any) -> "Metadata":
        for key, value in kwargs.items():
            old = self.__dict__.get(key, value)
            if key != "label_map" and old != value:
                raise ValueError(f"metadata {key!r} of {self.name!r} is already {old!r}, cannot set {value!r}")
            setattr(self, key, value)
        return self

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def __getattr__(self, key: str) -> Any:
        raise AttributeError(f"metadata of dataset {self.__dict__.get('name')!r} has no {key!r}")


class _MetadataCatalog:
    def __init__(self) -> None:
        self._meta: Dict[str, Metadata] = {}

    def get(self, name: str) -> Metadata:
        if name not in self._meta:
            self._meta[name] = Metadata(name)
        return self._meta[name]

    def remove(self, name: str) -> None:
        self._meta.pop(name, None)


DatasetCatalog = _DatasetCatalog()
MetadataCatalog = _MetadataCatalog()
