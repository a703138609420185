from .checkpointer import CheckpointError, CheckpointMismatchError, Checkpointer, atomic_write
from .converters import WEIGHT_CONVERTERS, convert_weights, rename_keys, unwrap_state_dict
from .layout import LAYOUTS, WeightLayout, register_layout
from . import layouts  # registers the core's layouts (ImageNet backbones, the JPU neck)

__all__ = ["LAYOUTS", "WEIGHT_CONVERTERS", "CheckpointError", "CheckpointMismatchError", "Checkpointer", "WeightLayout",
           "atomic_write", "convert_weights", "register_layout", "rename_keys", "unwrap_state_dict"]
