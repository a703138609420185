from .build import aux_head_names, build_head, head_nodes
from .fcn_head import FCNHead

__all__ = ["aux_head_names", "build_head", "head_nodes", "FCNHead"]
