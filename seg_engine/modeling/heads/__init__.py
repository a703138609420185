from .build import build_head
from .fcn_head import FCNHead

__all__ = ["build_head", "FCNHead"]
