"""The heads of the real-time networks (the FCN-style seg heads are the core FCNHead)."""
from .boundary_head import BoundaryHead
from .detail_head import DetailHead
from .lraspp_head import LRASPPHead
from .preact_head import PreActSegHead

__all__ = ["BoundaryHead", "DetailHead", "LRASPPHead", "PreActSegHead"]
