"""The published layouts of RefineNet weights, one module per source repository; importing registers them
(``refinenet_pytorch``: DrSleep/refinenet-pytorch; ``light_weight_refinenet``: DrSleep/light-weight-refinenet).
torchvision's ImageNet ResNets need no layout: the backbone has their names."""
from . import light_weight_refinenet, refinenet_pytorch  # noqa: F401 (registers)
