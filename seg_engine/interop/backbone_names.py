"""The zoo's names of the core's backbones ("ResNet-50", "VGG16-BN (width 8)", "Xception-65", "Swin-T", "ConvNeXt-B")."""
from .registries import BACKBONE_NAMES


@BACKBONE_NAMES.register("build_resnet_backbone")
def resnet_name(cfg) -> str:
    r = cfg.MODEL.RESNETS
    return f"ResNet-{r.DEPTH}" + (f" (width {r.BASE_WIDTH})" if r.BASE_WIDTH != 64 else "")


@BACKBONE_NAMES.register("build_vgg_backbone")
def vgg_name(cfg) -> str:
    v = cfg.MODEL.VGG
    return f"VGG{v.DEPTH}" + ("-BN" if v.NORM else "") + (f" (width {v.BASE_WIDTH})" if v.BASE_WIDTH != 64 else "")


@BACKBONE_NAMES.register("build_xception_backbone")
def xception_name(cfg) -> str:
    x = cfg.MODEL.XCEPTION
    return f"Xception-{x.DEPTH}" + (f" (width / {x.WIDTH_DIVISOR})" if x.WIDTH_DIVISOR != 1 else "")


SWIN_SIZES = {(96, (2, 2, 6, 2)): "T", (96, (2, 2, 18, 2)): "S", (128, (2, 2, 18, 2)): "B", (192, (2, 2, 18, 2)): "L"}
CONVNEXT_SIZES = {(96, 9): "T", (96, 27): "S", (128, 27): "B", (192, 27): "L", (256, 27): "XL"}


@BACKBONE_NAMES.register("build_swin_backbone")
def swin_name(cfg) -> str:
    """Swin-T/S/B/L by width and depths, another Swin by both."""
    s = cfg.MODEL.SWIN
    size = SWIN_SIZES.get((s.EMBED_DIM, tuple(s.DEPTHS)))
    return f"Swin-{size}" if size else f"Swin (C {s.EMBED_DIM}, depths {list(s.DEPTHS)})"


@BACKBONE_NAMES.register("build_convnext_backbone")
def convnext_name(cfg) -> str:
    """ConvNeXt-T/S/B/L/XL by first width and depths, another ConvNeXt by both."""
    c = cfg.MODEL.CONVNEXT
    size = CONVNEXT_SIZES.get((c.DIMS[0], c.DEPTHS[2])) if list(c.DEPTHS)[::3] == [3, 3] else None
    return f"ConvNeXt-{size}" if size else f"ConvNeXt (dims {list(c.DIMS)}, depths {list(c.DEPTHS)})"
