"""Weight converters for the FCNs: wkentaro/pytorch-fcn's FCN-32s/16s/8s (the Caffe nets ported),
torchvision's ``fcn_resnet50/101`` and mmsegmentation's ``fcn_r50/r101-d8``.

Each module registers one function in WEIGHT_CONVERTERS under the module's (and function's) name.
ImageNet VGG-16 for the Caffe nets loads with ``torchvision_vgg`` / ``torchvision_vgg_caffe_bgr``
(seg_engine.checkpoint.imagenet_backbones).
"""
from . import mmseg_fcn, pytorch_fcn, torchvision_fcn

__all__ = ["mmseg_fcn", "pytorch_fcn", "torchvision_fcn"]
