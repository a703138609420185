from .config import CfgNode, ConfigError, get_cfg, register_config, without_unused_plugin_keys
from .defaults import head_node
from .load import load_config
from .paths import resolve_config_path
from .renames import register_renamed_key, register_renamed_value
from .validation import register_check, validate_values

__all__ = [
    "CfgNode",
    "ConfigError",
    "get_cfg",
    "head_node",
    "load_config",
    "register_check",
    "register_config",
    "register_renamed_key",
    "register_renamed_value",
    "resolve_config_path",
    "validate_values",
    "without_unused_plugin_keys",
]
