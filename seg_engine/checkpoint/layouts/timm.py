"""timm's aligned Xceptions (``xception41/65/71``, e.g. ``xception65.tf_in1k``) for DeepLabv3+'s backbone, and its
ImageNet Swin Transformers and ConvNeXts for the core Swin and ConvNeXt backbones."""
from typing import Dict

from ...modeling.backbone.xception import xception_block_specs
from ..layout import WeightLayout, register_layout
from ..vocabulary import conv_module, prefix, strip_prefix
from .mmseg import SWIN_DERIVED


def xception_rules(depth: int) -> list:
    """timm's ``blocks.<i>`` -> the backbone's entry/middle/exit flows, ``stem.<j>.conv/bn`` -> ``stem.<j>.0/1``."""
    rules = conv_module(r"stem\.([01])", r"backbone.stem.\1")
    position: Dict[str, int] = {}
    for i, (flow, _, _) in enumerate(xception_block_specs(depth)):
        target = f"backbone.{flow}.{position.setdefault(flow, 0)}"
        position[flow] += 1
        rules += [(rf"blocks\.{i}\.stack\.", f"{target}.")] + conv_module(rf"blocks\.{i}\.shortcut", f"{target}.shortcut")
    return rules


for _depth in (41, 65, 71):
    register_layout(WeightLayout(
        name=f"timm_xception{_depth}",
        source=f"timm's aligned xception{_depth} (e.g. xception{_depth}.tf_in1k) for MODEL.XCEPTION.DEPTH {_depth}, "
               "without the fc classifier",
        rules=xception_rules(_depth),
        drop=[r"head\.fc\."],
    ))


register_layout(WeightLayout(
    name="timm_swin",
    source="timm 0.9+'s swin_*_patch4_window* (e.g. swin_tiny_patch4_window7_224.ms_in1k) for the core Swin backbone, "
           "without the classifier; the output norms norm0..3 keep their initialisation",
    # timm 0.9 moved the patch merging to the start of the next stage: layers.i.downsample merges stage i - 1.
    rules=[(r"layers\.(\d+)\.downsample\.", r"backbone.layers.<\1>.downsample.")]
    + prefix(r"(patch_embed|layers)", r"backbone.\1"),
    drop=SWIN_DERIVED + [r"norm\.", r"head\."],
    prepare=strip_prefix(),
))
register_layout(WeightLayout(
    name="timm_convnext",
    source="timm's convnext_* (e.g. convnext_tiny.fb_in1k) for the core ConvNeXt backbone, without the classifier "
           "(head: its norm and fc); the output norms norm0..3 keep their initialisation",
    rules=[(r"stem\.", "backbone.downsample_layers.0."),
           (r"stages\.(\d+)\.downsample\.", r"backbone.downsample_layers.\1."),
           (r"stages\.(\d+)\.blocks\.(\d+)\.conv_dw\.", r"backbone.stages.\1.\2.dwconv."),
           (r"stages\.(\d+)\.blocks\.(\d+)\.mlp\.fc([12])\.", r"backbone.stages.\1.\2.pwconv\3."),
           (r"stages\.(\d+)\.blocks\.(\d+)\.(norm|gamma)", r"backbone.stages.\1.\2.\3")],
    drop=[r"head\."],
    prepare=strip_prefix(),
))
