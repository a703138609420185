"""Semantic FPN (the semantic branch of Kirillov et al., "Panoptic Feature Pyramid Networks", CVPR 2019)
as a seg_engine project.

Semantic FPN is the composed model with the core's ``FPN`` neck (MODEL.NECK.NAME "FPN", config ``MODEL.FPN``) and
this project's ``SemSegFPNHead``; importing registers the head and the weight converters ``mmseg_fpn`` and
``smp_fpn``.
"""
from . import config, converters, interop, parity
from .sem_seg_fpn_head import SemSegFPNHead

__all__ = ["SemSegFPNHead", "config", "converters"]
