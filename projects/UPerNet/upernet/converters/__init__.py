"""Weight converters of the UPerNet project, one module per source; importing registers them in
WEIGHT_CONVERTERS: mmseg_upernet, mmseg_swin_imagenet, mmpretrain_convnext_imagenet (mmseg.py), hf_upernet
(hf.py), smp_upernet (smp.py), authors_upernet (authors.py), swin_imagenet, timm_swin, convnext_imagenet, timm_convnext (imagenet.py)."""
from . import authors, hf, imagenet, mmseg, smp

__all__ = ["authors", "hf", "imagenet", "mmseg", "smp"]
