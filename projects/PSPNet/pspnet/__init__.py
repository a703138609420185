"""PSPNet (Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017) as a seg_engine project.

PSPNet is the composed model with the ``PPMHead`` decode head (and an FCN auxiliary head): importing registers
the head, the ``MODEL.PSP`` config keys and the weight converters ``semseg_pspnet``, ``mmseg_pspnet`` and
``mmseg_fastfcn_psp`` (FastFCN's PSPNet is the same model on the ``JPU`` neck).
"""
from . import converters, interop, parity
from .config import add_pspnet_config
from .ppm_head import PPMHead

__all__ = ["PPMHead", "add_pspnet_config", "converters"]
