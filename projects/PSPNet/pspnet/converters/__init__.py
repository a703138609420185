"""Weight converters from the authors' and mmsegmentation's PSPNet checkpoints.

Each module registers one function in WEIGHT_CONVERTERS under the module's (and function's) name.
The ImageNet backbones they start from load with seg_engine's ``semseg_resnet_imagenet`` and
``mmseg_resnet_v1c`` (seg_engine.checkpoint.imagenet_backbones).
"""
from . import mmseg_fastfcn_psp, mmseg_pspnet, semseg_pspnet

__all__ = ["mmseg_fastfcn_psp", "mmseg_pspnet", "semseg_pspnet"]
