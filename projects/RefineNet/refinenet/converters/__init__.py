"""Weight converters from DrSleep's RefineNet and Light-Weight RefineNet checkpoints.

Each module registers one function in WEIGHT_CONVERTERS under the module's (and function's) name.
torchvision's ImageNet ResNets need none: the backbone has their layout.
"""
from . import light_weight_refinenet, refinenet_pytorch

__all__ = ["light_weight_refinenet", "refinenet_pytorch"]
