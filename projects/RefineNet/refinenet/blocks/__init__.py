"""RefineNet's building blocks, shared by RefineNet and Light-Weight RefineNet."""
from .chained_residual_pooling import ChainedResidualPooling
from .multi_resolution_fusion import MultiResolutionFusion
from .refine_block import RefineBlock
from .residual_conv_unit import ResidualConvUnit

__all__ = ["ChainedResidualPooling", "MultiResolutionFusion", "RefineBlock", "ResidualConvUnit"]
