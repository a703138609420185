"""load_config: the one way every tool, SegModel and the tests turn a config file and overrides into a config."""
from __future__ import annotations

from typing import Optional, Sequence, Union

from .config import CfgNode, get_cfg


def load_config(
    config: Union[str, CfgNode],
    opts: Sequence[object] = (),
    *,
    plugins: Sequence[str] = (),
    weights: Optional[str] = None,
    device: Optional[str] = None,
) -> CfgNode:
    """Plugins (``--plugin``: projects that are not installed) first, since they add keys; then the defaults merged
    with ``config`` (a path, ``seg_engine://NAME`` of an installed recipe, or a node, which is copied); then
    ``weights`` (MODEL.WEIGHTS) and ``device`` (MODEL.DEVICE); then ``opts``, KEY VALUE pairs as on the command
    line (values may be numbers or lists: they are read as their text)."""
    from ..plugins import load_plugins

    load_plugins(plugins)
    if isinstance(config, CfgNode):
        cfg = config.clone()
        cfg.defrost()
    else:
        cfg = get_cfg()
        cfg.merge_from_file(config)
    if weights is not None:
        cfg.MODEL.WEIGHTS = weights
    if device is not None:
        cfg.MODEL.DEVICE = device
    cfg.merge_from_list([o if isinstance(o, str) else repr(o) for o in opts])
    return cfg
