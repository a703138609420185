"""How the model zoo names the core Swin and ConvNeXt backbones (Swin-T, ConvNeXt-B, ...), registered by this
project, the first to use them, until the core names them itself."""
from seg_engine.model_zoo import register_backbone_name

SWIN_SIZES = {(96, (2, 2, 6, 2)): "T", (96, (2, 2, 18, 2)): "S", (128, (2, 2, 18, 2)): "B", (192, (2, 2, 18, 2)): "L"}
CONVNEXT_SIZES = {(96, 9): "T", (96, 27): "S", (128, 27): "B", (192, 27): "L", (256, 27): "XL"}


def swin_name(cfg) -> str:
    s = cfg.MODEL.SWIN
    size = SWIN_SIZES.get((s.EMBED_DIM, tuple(s.DEPTHS)))
    return f"Swin-{size}" if size else f"Swin (C {s.EMBED_DIM}, depths {list(s.DEPTHS)})"


def convnext_name(cfg) -> str:
    c = cfg.MODEL.CONVNEXT
    size = CONVNEXT_SIZES.get((c.DIMS[0], c.DEPTHS[2])) if list(c.DEPTHS)[::3] == [3, 3] else None
    return f"ConvNeXt-{size}" if size else f"ConvNeXt (dims {list(c.DIMS)}, depths {list(c.DEPTHS)})"


register_backbone_name("build_swin_backbone", swin_name)
register_backbone_name("build_convnext_backbone", convnext_name)
