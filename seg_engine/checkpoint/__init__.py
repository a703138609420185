from .checkpointer import CheckpointError, CheckpointMismatchError, Checkpointer, NonFiniteCheckpointError, atomic_write
from . import imagenet_backbones  # registers the ImageNet backbone converters
from .converters import WEIGHT_CONVERTERS, convert_weights, rename_keys, unwrap_state_dict

__all__ = ["WEIGHT_CONVERTERS", "CheckpointError", "CheckpointMismatchError", "Checkpointer", "NonFiniteCheckpointError", "atomic_write", "convert_weights", "rename_keys", "unwrap_state_dict"]
