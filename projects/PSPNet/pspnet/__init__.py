"""PSPNet (Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017) as a seg_engine project.

Importing registers the ``PSPNet`` meta-architecture, the ``PPMHead`` head, the ``MODEL.PSP``
config keys and the weight converters ``semseg_pspnet``, ``mmseg_pspnet`` and ``mmseg_fastfcn_psp``.
"""
from . import converters
from .config import add_pspnet_config
from .ppm_head import PPMHead
from .pspnet import PSPNet
from .pyramid_pooling import PyramidPooling

__all__ = [
    "PPMHead",
    "PSPNet",
    "PyramidPooling",
    "add_pspnet_config",
    "converters",
]
