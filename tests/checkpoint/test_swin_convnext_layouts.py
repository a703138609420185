"""The ImageNet layouts of the core Swin and ConvNeXt backbones fill every backbone tensor but the output norms
(norm0..3, which the classifiers do not have) and drop the classifiers: timm's (tables listed once from timm 1.0.31,
data/), the authors' (our names plus the classifier and the window-size buffers), mmsegmentation's Swin (the authors'
through swin2mmseg, patch merging reordered back on numbers) and mmpretrain's ConvNeXt."""
import os
import re

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.modeling.backbone import ConvNeXt, SwinTransformer
from seg_engine.utils.testing import map_key_table, read_key_table, state_shapes

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def backbone_shapes(backbone_class, with_output_norms=False):
    """``backbone.``-prefixed key -> shape of the T-size backbone (the defaults), without norm0..3 unless asked."""
    with torch.device("meta"):
        model = backbone_class()
    return {f"backbone.{k}": s for k, s in state_shapes(model).items() if with_output_norms or not re.match(r"norm\d", k)}


def random_state(shapes):
    return {k: torch.randn(s) if s else torch.tensor(0) for k, s in shapes.items()}


@pytest.mark.parametrize("table, layout, backbone_class, count, examples", [
    ("timm_swin_tiny_patch4_window7_224_keys.txt", "timm_swin", SwinTransformer, 173,
     {"backbone.layers.0.downsample.reduction.weight": "layers.1.downsample.reduction.weight",
      "backbone.layers.2.downsample.norm.bias": "layers.3.downsample.norm.bias",
      "backbone.layers.2.blocks.5.attn.relative_position_bias_table": "layers.2.blocks.5.attn.relative_position_bias_table",
      "backbone.patch_embed.proj.weight": "patch_embed.proj.weight"}),
    ("timm_convnext_tiny_keys.txt", "timm_convnext", ConvNeXt, 182,
     {"backbone.downsample_layers.0.1.weight": "stem.1.weight",
      "backbone.downsample_layers.3.1.weight": "stages.3.downsample.1.weight",
      "backbone.stages.2.8.dwconv.weight": "stages.2.blocks.8.conv_dw.weight",
      "backbone.stages.1.2.pwconv2.bias": "stages.1.blocks.2.mlp.fc2.bias",
      "backbone.stages.3.0.gamma": "stages.3.blocks.0.gamma"}),
])
def test_timm_backbones_fill_the_backbone_but_its_output_norms(table, layout, backbone_class, count, examples):
    ref = read_key_table(os.path.join(DATA, table))
    assert len(ref) == count
    source = map_key_table(ref, layout, backbone_shapes(backbone_class))
    dropped = {k for k in ref if k.startswith(("head.", "norm.")) or "relative_position_index" in k}
    assert sorted(source.values()) == sorted(set(ref) - dropped)
    assert {k: source[k] for k in examples} == examples


def authors_swin():
    """The authors' ImageNet Swin-T: our names without the output norms, plus the classifier (final norm, head) and
    the buffers the window size determines (relative-position indices, the shifted blocks' masks)."""
    state = {k[len("backbone."):]: v for k, v in random_state(backbone_shapes(SwinTransformer)).items()}
    state.update({"layers.0.blocks.0.attn.relative_position_index": torch.zeros(49, 49, dtype=torch.long),
                  "layers.0.blocks.1.attn_mask": torch.zeros(64, 49, 49), "norm.weight": torch.ones(768),
                  "norm.bias": torch.zeros(768), "head.weight": torch.ones(1000, 768), "head.bias": torch.zeros(1000)})
    return state


def swin2mmseg_names(key):
    """mmsegmentation's names of the authors' keys (its tools/model_converters/swin2mmseg.py)."""
    key = key.replace("attn.", "attn.w_msa.").replace("mlp.fc1.", "ffn.layers.0.0.").replace("mlp.fc2.", "ffn.layers.1.")
    key = key.replace("patch_embed.proj.", "patch_embed.projection.")
    return "backbone." + (key.replace("layers", "stages", 1) if key.startswith("layers") else key)


def test_the_authors_swin_and_mmsegmentations_copy_give_the_same_backbone():
    authors = authors_swin()
    from_authors = convert_weights({"model": authors}, "swin_imagenet")
    assert set(from_authors) == set(backbone_shapes(SwinTransformer))
    assert all(torch.equal(from_authors[f"backbone.{k}"], v) for k, v in authors.items() if f"backbone.{k}" in from_authors)

    # swin2mmseg reorders the patch merging's 2x2 neighbours from (0,0), (1,0), (0,1), (1,1) (neighbour-major) to
    # nn.Unfold's channel-major (0,0), (0,1), (1,0), (1,1); the layout must give the authors' tensors back.
    mmseg = {swin2mmseg_names(k): v for k, v in authors.items() if not k.startswith("head.")}
    for key, value in list(mmseg.items()):
        if key.endswith("downsample.reduction.weight"):
            out, in4 = value.shape
            mmseg[key] = value.reshape(out, 4, in4 // 4)[:, [0, 2, 1, 3], :].transpose(1, 2).reshape(out, in4)
        elif ".downsample.norm." in key:
            mmseg[key] = value.reshape(4, -1)[[0, 2, 1, 3], :].transpose(0, 1).reshape(-1)
    assert "backbone.stages.2.blocks.5.attn.w_msa.qkv.weight" in mmseg
    from_mmseg = convert_weights(mmseg, "mmseg_swin_imagenet")
    assert from_mmseg.keys() == from_authors.keys()
    assert all(torch.equal(from_mmseg[k], from_authors[k]) for k in from_authors)


def test_the_authors_convnext_and_mmpretrains_give_the_backbone():
    ours = backbone_shapes(ConvNeXt)
    authors = {k[len("backbone."):]: v for k, v in random_state(ours).items()}
    authors.update({"norm.weight": torch.ones(768), "norm.bias": torch.zeros(768), "head.weight": torch.ones(1000, 768),
                    "head.bias": torch.zeros(1000)})
    from_authors = convert_weights({"model": authors}, "convnext_imagenet")
    assert set(from_authors) == set(ours)
    # mmpretrain's classifier: under backbone., depthwise_conv/pointwise_conv, its stage-3 norm as norm3, head.fc
    mmpretrain = {"backbone." + k.replace("dwconv", "depthwise_conv").replace("pwconv", "pointwise_conv"): v
                  for k, v in authors.items() if not k.startswith(("norm.", "head."))}
    mmpretrain.update({"backbone.norm3.weight": torch.ones(768), "backbone.norm3.bias": torch.zeros(768),
                       "head.fc.weight": torch.ones(1000, 768), "head.fc.bias": torch.zeros(1000)})
    from_mmpretrain = convert_weights({"state_dict": mmpretrain}, "mmpretrain_convnext_imagenet")
    assert set(from_mmpretrain) == set(ours) | {"backbone.norm3.weight", "backbone.norm3.bias"}
    assert all(torch.equal(from_mmpretrain[k], from_authors[k]) for k in from_authors)


@pytest.mark.parametrize("layout", ["swin_imagenet", "timm_swin", "mmseg_swin_imagenet", "convnext_imagenet",
                                    "timm_convnext", "mmpretrain_convnext_imagenet"])
def test_a_resnet_is_refused_by_name(layout):
    with pytest.raises(KeyError, match=r"2 checkpoint keys match no rule of this layout: conv1\.weight, layer1\.0\.conv1\.weight"):
        convert_weights({"conv1.weight": torch.zeros(1), "layer1.0.conv1.weight": torch.zeros(1)}, layout)
