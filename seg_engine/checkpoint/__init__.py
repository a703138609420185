from .atomic import atomic_write
from .checkpointer import Checkpointer
from .converters import WEIGHT_CONVERTERS, convert_weights, rename_keys, unwrap_state_dict
from .download import weights_cache_dir
from .errors import (CheckpointError, CheckpointMismatchError, NonFiniteCheckpointError, WeightsDownloadError,
                     WeightsNameError)
from .layout import LAYOUTS, WeightLayout, register_layout
from .references import WeightsSource, fetch_weights, register_zoo_weights, resolve_weights
from .safe_load import load_torch_file
from . import layouts  # registers the core's layouts (ImageNet backbones, the JPU neck)

__all__ = [
    "LAYOUTS", "WEIGHT_CONVERTERS", "CheckpointError", "CheckpointMismatchError", "Checkpointer",
    "NonFiniteCheckpointError", "WeightLayout", "WeightsDownloadError", "WeightsNameError", "WeightsSource",
    "atomic_write", "convert_weights", "fetch_weights", "load_torch_file", "register_layout", "register_zoo_weights",
    "rename_keys", "resolve_weights", "unwrap_state_dict", "weights_cache_dir",
]
