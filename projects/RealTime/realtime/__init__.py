"""Real-time segmentation networks as a seg_engine project: PIDNet, DDRNet, BiSeNetV1/V2, STDC and LR-ASPP.

Importing registers the backbones ``build_{pidnet,ddrnet,bisenetv1,bisenetv2,stdc}_backbone``, the heads
``PreActSegHead``, ``BoundaryHead``, ``DetailHead`` and ``LRASPPHead``, the meta-architectures
``RealTimeSegmentor`` and ``PIDNetSegmentor``, the MODEL.REALTIME / MODEL.<NETWORK> config keys, the
weight layouts, their parity references and the zoo's backbone names.
"""
from . import backbones, converters, heads, interop, parity
from .config import add_realtime_config
from .pidnet_segmentor import PIDNetSegmentor
from .realtime_segmentor import RealTimeSegmentor

__all__ = ["PIDNetSegmentor", "RealTimeSegmentor", "add_realtime_config", "backbones", "converters", "heads", "interop", "parity"]
