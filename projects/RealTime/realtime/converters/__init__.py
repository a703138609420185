"""Weight converters of the real-time networks; each module registers one function in WEIGHT_CONVERTERS
under its own name (mmsegmentation 1.2.2's layouts, torchvision's, the authors' releases)."""
from . import (coincheung_bisenet, mmseg_bisenetv1, mmseg_bisenetv2, mmseg_ddrnet, mmseg_pidnet, mmseg_stdc,
               torchvision_lraspp, xujiacong_pidnet)

__all__ = ["coincheung_bisenet", "mmseg_bisenetv1", "mmseg_bisenetv2", "mmseg_ddrnet", "mmseg_pidnet", "mmseg_stdc",
           "torchvision_lraspp", "xujiacong_pidnet"]
