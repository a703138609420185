"""Semantic FPN (the semantic branch of Kirillov et al., "Panoptic Feature Pyramid Networks", CVPR 2019)
as a seg_engine project.

Importing registers the ``SemanticFPN`` meta-architecture, the ``SemSegFPNHead`` head, the
``MODEL.SEM_SEG_FPN`` config keys and the weight converters ``mmseg_fpn`` and ``smp_fpn``. The FPN
neck itself is seg_engine's (``seg_engine.modeling.necks.FPN``, config ``MODEL.FPN``).
"""
from . import converters
from .config import add_semantic_fpn_config
from .sem_seg_fpn_head import SemSegFPNHead
from .semantic_fpn import SemanticFPN

__all__ = ["SemSegFPNHead", "SemanticFPN", "add_semantic_fpn_config", "converters"]
