"""DeepLabv3 (Chen et al., arXiv:1706.05587) and DeepLabv3+ (Chen et al., ECCV 2018) as a seg_engine project.

Importing registers the ``DeepLabV3`` meta-architecture (EncoderDecoder evaluating at another output stride),
the ``ASPPHead`` and ``DeepLabV3PlusHead`` heads, the ``MODEL.ASPP`` and ``MODEL.DEEPLAB`` config keys and the weight
converters ``torchvision_deeplabv3``, ``mmseg_deeplabv3``, ``mmseg_deeplabv3plus`` and ``mmseg_fastfcn_aspp``.
"""
from . import converters, interop, parity
from .aspp import ASPP
from .aspp_head import ASPPHead
from .config import add_deeplab_config
from .deeplab import DeepLabV3
from .deeplabv3plus_head import DeepLabV3PlusHead

__all__ = [
    "ASPP",
    "ASPPHead",
    "DeepLabV3",
    "DeepLabV3PlusHead",
    "add_deeplab_config",
    "converters",
]
