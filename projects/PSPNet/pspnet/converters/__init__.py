"""The published layouts of PSPNet weights, one module per source; importing registers them (``semseg_pspnet``,
``mmseg_pspnet``, ``mmseg_fastfcn_psp``). Their ImageNet backbones are the core's ``semseg_resnet_imagenet`` and
``mmseg_resnet_v1c``."""
from . import mmseg, semseg  # noqa: F401 (registers)
