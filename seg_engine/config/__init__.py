from .config import CfgNode, ConfigError, get_cfg, register_config, without_unused_plugin_keys

__all__ = ["CfgNode", "ConfigError", "get_cfg", "register_config", "without_unused_plugin_keys"]
