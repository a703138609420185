"""The zoo's names of the core's backbones ("ResNet-50", "VGG16-BN (width 8)", "Xception-65")."""
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
