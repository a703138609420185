"""The registries that model components register into, so configs can name them."""
from fvcore.common.registry import Registry

META_ARCH_REGISTRY = Registry("META_ARCH")
META_ARCH_REGISTRY.__doc__ = "Whole models: ``cls(cfg)`` -> nn.Module taking a list of dicts."

BACKBONE_REGISTRY = Registry("BACKBONE")
BACKBONE_REGISTRY.__doc__ = "Feature extractors: ``fn(cfg)`` -> Backbone."

HEAD_REGISTRY = Registry("HEAD")
HEAD_REGISTRY.__doc__ = "Decode heads: ``cls(cfg, input_shape, ...)`` -> nn.Module."
