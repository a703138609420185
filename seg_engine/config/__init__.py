from .config import CfgNode, ConfigError, get_cfg, register_config, without_unused_plugin_keys
from .validation import register_check, validate_values

__all__ = [
    "CfgNode",
    "ConfigError",
    "get_cfg",
    "register_check",
    "register_config",
    "validate_values",
    "without_unused_plugin_keys",
]
