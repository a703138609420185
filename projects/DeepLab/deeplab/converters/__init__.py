"""The published layouts of DeepLab weights, one module per source; importing registers them
(``torchvision_deeplabv3``; ``mmseg_deeplabv3``, ``mmseg_deeplabv3plus``, ``mmseg_fastfcn_aspp``). Their ImageNet
backbones are the core's ``mmseg_resnet_v1c`` and ``timm_xception*``; torchvision's ResNets need no layout."""
from . import mmseg, torchvision  # noqa: F401 (registers)
