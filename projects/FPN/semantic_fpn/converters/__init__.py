"""The published layouts of semantic FPN weights, one module per source; importing registers them (``mmseg_fpn``,
``smp_fpn``). mmsegmentation's ImageNet ResNetV1c loads with the core's ``mmseg_resnet_v1c``; torchvision's ImageNet
ResNets (smp's encoders, the detectron2-style recipes here) need no layout."""
from . import mmseg, smp  # noqa: F401 (registers)
