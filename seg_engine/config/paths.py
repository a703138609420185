"""Where a config file named in a recipe or on the command line is: a path, a URL, or an installed recipe.

``seg_engine://NAME`` names a file shipped with seg_engine: ``seg_engine://Base-Segmentation.yaml`` and
``seg_engine://Protocols/...``, ``seg_engine://Demo/...`` are the core's shared configs (the repository's
``configs/``); ``seg_engine://<Project>/<path>`` is a recipe of an installed project (its ``configs/<path>``), e.g.
``seg_engine://PSPNet/ade20k/pspnet_R50_512x512_80k_ade20k_mmseg.yaml``. They resolve in a checkout, an editable
install and a wheel alike, so recipes inherit the core's bases by name instead of by a relative path that only
exists in the repository.
"""
from __future__ import annotations

import os
from typing import Optional

SCHEME = "seg_engine://"
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def core_configs_dir() -> str:
    """The core's shared configs: shipped inside the package (``seg_engine/model_zoo/configs``, a link to the
    repository's ``configs/`` that setup.py makes), else the repository's ``configs/`` of a plain checkout."""
    shipped = os.path.join(_PACKAGE_DIR, "model_zoo", "configs")
    return shipped if os.path.isdir(shipped) else os.path.join(os.path.dirname(_PACKAGE_DIR), "configs")


def resolve_config_path(name: str, relative_to: Optional[str] = None) -> str:
    """The file ``name`` stands for; ``relative_to`` is the config file whose ``_BASE_`` it is."""
    name = os.path.expanduser(name)
    if name.startswith(SCHEME):
        return _installed_config(name[len(SCHEME):])
    if "://" in name or os.path.isabs(name) or relative_to is None:
        return name
    return os.path.join(os.path.dirname(relative_to), name)


def _installed_config(name: str) -> str:
    from .config import ConfigError

    core = os.path.join(core_configs_dir(), name)
    if os.path.exists(core):
        return core
    project, _, rest = name.partition("/")
    from ..plugins import project_configs_dir

    folder = project_configs_dir(project)
    if folder is None:
        raise ConfigError(f"{SCHEME}{name}: no shared config of that name and no installed project {project!r}")
    path = os.path.join(folder, rest)
    if not os.path.isfile(path):
        raise ConfigError(f"{SCHEME}{name}: project {project} has no recipe {rest} (in {folder})")
    return path
