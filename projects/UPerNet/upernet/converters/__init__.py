"""The published layouts of UPerNet weights, one module per source; importing registers them: ``mmseg_upernet``,
``mmseg_upernet_swin``, ``mmseg_upernet_convnext`` (mmseg.py), ``authors_upernet_swin``, ``authors_upernet_convnext``
(authors.py), ``hf_upernet_swin``, ``hf_upernet_convnext`` (hf.py) and ``smp_upernet`` (smp.py). Their ImageNet
backbones are the core's layouts (``mmseg_resnet_v1c``, ``mmseg_swin_imagenet``, ``mmpretrain_convnext_imagenet``,
``swin_imagenet``, ``convnext_imagenet``, ``timm_swin``, ``timm_convnext``)."""
from . import authors, hf, mmseg, smp  # noqa: F401 (registers)
