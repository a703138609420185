"""The registries that tie seg_engine to other toolboxes and to the zoo, filled by the core and by each project
from its own ``interop`` module, so the core names no project's model or config node.

* ``MMSEG_HEADS``: an mmsegmentation decode-head type (``"PSPHead"``) -> ``fn(translator, head) -> Set[int]``, which
  writes our keys for that head through the translator of :mod:`.mmseg_config` (``translator.set(key, value)``,
  ``translator.check_unknown``, ``translator.bad``) and returns the backbone stages it reads besides its own input.
* ``MMSEG_NECKS``: an mmsegmentation neck type (``"JPU"``) -> ``fn(translator, neck, features) -> List[str]``, which
  writes the neck's keys and returns the backbone features it and the heads read.
* ``MMSEG_MODELS``: a converter name -> :class:`MmsegPairing`, the mmsegmentation config that builds the network
  the converter's recipes build (``tools/benchmark.py --compare-mmseg``, the logits checks).
* ``BACKBONE_NAMES``: a backbone builder (MODEL.BACKBONE.NAME) -> ``fn(cfg) -> str``, how the zoo names it
  ("ResNet-50", "VGG16-BN (width 8)").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

from fvcore.common.registry import Registry

from ..config import CfgNode


class NamedRegistry(Registry):
    """fvcore's Registry whose ``register(name)`` registers the decorated function under ``name`` (the names here
    are other toolboxes' types, not Python names)."""

    def register(self, name):  # type: ignore[override]
        def deco(fn):
            self._do_register(name, fn)
            return fn

        return deco


MMSEG_HEADS = NamedRegistry("MMSEG_HEADS")
MMSEG_HEADS.__doc__ = "mmsegmentation decode-head type -> fn(translator, head dict) -> set of extra stages read"

MMSEG_NECKS = NamedRegistry("MMSEG_NECKS")
MMSEG_NECKS.__doc__ = "mmsegmentation neck type -> fn(translator, neck dict, features read) -> backbone features read"

MMSEG_MODELS = Registry("MMSEG_MODELS")
MMSEG_MODELS.__doc__ = "converter name -> MmsegPairing"

BACKBONE_NAMES = NamedRegistry("BACKBONE_NAMES")
BACKBONE_NAMES.__doc__ = "MODEL.BACKBONE.NAME -> fn(cfg) -> the backbone's name in the zoo"


@dataclass(frozen=True)
class MmsegPairing:
    """An mmsegmentation config and what our recipes that build the same network look like."""

    head: str  # our MODEL.HEAD.NAME
    neck: str  # our MODEL.NECK.NAME ("" for none)
    config: str  # relative to mmseg/.mim/configs in the mmsegmentation wheel
    backbone: str = ""  # our MODEL.BACKBONE.NAME when the network is its backbone ("": any the head is put on)
    sizes: Tuple[Tuple[str, str], ...] = ()  # (zoo name of the backbone, config) of every size, ``config``'s too

    def config_for(self, cfg: CfgNode) -> str:
        """The config of the size ``cfg`` builds (``sizes`` by :func:`backbone_name`; a ValueError naming the known
        sizes when the recipe's is none of them), else ``config``."""
        if not self.sizes:
            return self.config
        name, sizes = backbone_name(cfg), dict(self.sizes)
        if name not in sizes:
            raise ValueError(f"--compare-mmseg: no mmsegmentation config of {name} is known (its sizes: "
                             f"{', '.join(sizes)}); name one with --mmseg-config PATH")
        return sizes[name]


def register_mmseg_model(converter: str, head: str, neck: str, config: str, backbone: str = "",
                         sizes: Optional[Mapping[str, str]] = None) -> None:
    """Pair the converter ``converter`` with the mmsegmentation ``config`` whose network loads through it; a network
    that is its backbone (a head shared with other models on it) names the ``backbone`` builder, and ``sizes`` maps
    the zoo's backbone name of each size (``config``'s included) to its config."""
    if sizes and config not in sizes.values():
        raise ValueError(f"register_mmseg_model({converter!r}): sizes must include config {config!r}")
    MMSEG_MODELS._do_register(converter, MmsegPairing(head, neck, config, backbone, tuple((sizes or {}).items())))


def backbone_name(cfg) -> str:
    """The zoo's name of the backbone ``cfg`` builds (the builder's name when none is registered)."""
    name = cfg.MODEL.BACKBONE.NAME
    return BACKBONE_NAMES.get(name)(cfg) if name in BACKBONE_NAMES else name
