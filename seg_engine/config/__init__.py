from .config import CfgNode, ConfigError, get_cfg, register_config

__all__ = ["CfgNode", "ConfigError", "get_cfg", "register_config"]
