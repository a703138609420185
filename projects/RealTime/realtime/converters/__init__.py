"""Weight layouts of the real-time networks, one file per source: mmsegmentation 1.2.2's, torchvision's and the
authors' releases (XuJiacong/PIDNet, CoinCheung/BiSeNet); each registers its WeightLayouts on import."""
from . import coincheung, mmseg, torchvision, xujiacong

__all__ = ["coincheung", "mmseg", "torchvision", "xujiacong"]
