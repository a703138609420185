"""The authors' trained UPerNets: SwinTransformer/Swin-Transformer-Semantic-Segmentation (e.g.
``upernet_swin_tiny_patch4_window7_512x512.pth``) and facebookresearch/ConvNeXt's semantic_segmentation
(``upernet_convnext_tiny_1k_512x512.pth``), both mmsegmentation-0.x forks.

Their keys: the backbones in the authors' layout (the core's ``swin_imagenet`` and ``convnext_imagenet``: ours, plus
Swin's ``relative_position_index`` buffers) and mmsegmentation 0.x's heads, named as 1.x's.
"""
from seg_engine.checkpoint import WeightLayout, register_layout

from .mmseg import HEAD_EXAMPLES, RECIPES, UPER_HEAD

register_layout(WeightLayout(
    name="authors_upernet_swin",
    source="the authors' trained Swin UPerNets (Swin-Transformer-Semantic-Segmentation: "
           "upernet_swin_tiny_patch4_window7_512x512.pth, ...; mmseg 0.x heads)",
    rules=UPER_HEAD,
    reuses=[("backbone.", "swin_imagenet")],
    recipe=RECIPES + "upernet_swin-t_512x512_160k_ade20k_mmseg.yaml",
    key_table="projects/UPerNet/tests/data/authors_upernet_swin-t_150_keys.txt",
    examples={**HEAD_EXAMPLES, "backbone.layers.3.blocks.1.attn.relative_position_bias_table":
              "backbone.layers.3.blocks.1.attn.relative_position_bias_table", "backbone.norm2.bias": "backbone.norm2.bias"},
))
register_layout(WeightLayout(
    name="authors_upernet_convnext",
    source="the authors' trained ConvNeXt UPerNets (facebookresearch/ConvNeXt semantic_segmentation: "
           "upernet_convnext_tiny_1k_512x512.pth, ...; mmseg 0.x heads)",
    rules=UPER_HEAD,
    reuses=[("backbone.", "convnext_imagenet")],
    recipe=RECIPES + "upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml",
    key_table="projects/UPerNet/tests/data/authors_upernet_convnext-t_150_keys.txt",
    examples={**HEAD_EXAMPLES, "backbone.stages.2.4.gamma": "backbone.stages.2.4.gamma"},
))
