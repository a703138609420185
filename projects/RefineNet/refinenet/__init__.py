"""RefineNet (Lin et al., CVPR 2017) and Light-Weight RefineNet (Nekrasov et al., BMVC 2018).

Both are the composed model with the ``RefineNetHead`` decode head; importing registers the head, the
``MODEL.REFINENET`` config keys and the weight converters ``refinenet_pytorch`` and
``light_weight_refinenet``.
"""
from . import converters, parity
from .blocks import ChainedResidualPooling, MultiResolutionFusion, RefineBlock, ResidualConvUnit
from .config import add_refinenet_config
from .refinenet_head import RefineNetHead

__all__ = [
    "ChainedResidualPooling",
    "MultiResolutionFusion",
    "RefineBlock",
    "RefineNetHead",
    "ResidualConvUnit",
    "add_refinenet_config",
    "converters",
]
