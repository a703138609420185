"""The registries that model parts register into, so configs can name them."""
from fvcore.common.registry import Registry

META_ARCH_REGISTRY = Registry("META_ARCH")
META_ARCH_REGISTRY.__doc__ = "Whole models: ``cls(cfg)`` -> nn.Module taking a list of dicts."

BACKBONE_REGISTRY = Registry("BACKBONE")
BACKBONE_REGISTRY.__doc__ = "Feature extractors: ``fn(cfg)`` -> Backbone (MODEL.BACKBONE.NAME)."

NECK_REGISTRY = Registry("NECK")
NECK_REGISTRY.__doc__ = (
    "Modules between the backbone and the heads, named feature maps in and out (MODEL.NECK.NAME): "
    "``cls.from_config(cfg, input_shape)`` gives the constructor's arguments."
)

HEAD_REGISTRY = Registry("HEAD")
HEAD_REGISTRY.__doc__ = (
    "Decode and auxiliary heads, named feature maps in, logits out (MODEL.HEAD.NAME, MODEL.<AUX_HEAD>.NAME): "
    "``cls.from_config(cfg, head_cfg, input_shape)`` gives the constructor's arguments."
)
