"""The converters map every key of the reference models (tests/data/*_keys.txt, listed once from mmsegmentation
1.2.2, transformers 5.25.0, smp 0.6.0, timm 1.0.31 and the Swin and ConvNeXt authors' code; see each file's header) onto this model, one to one, with
the model's shapes; the reorderings and concatenations they need are checked on numbers."""
import os
import re

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, map_key_table, read_key_table, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

CASES = {  # table: (converter, key count, recipe, wrap in mmseg's checkpoint layout)
    "mmseg_upernet_r50_150_keys.txt": ("mmseg_upernet", 412, "ade20k/upernet_r50_512x512_80k_ade20k_mmseg.yaml", True),
    "mmseg_upernet_swin-t_150_keys.txt": ("mmseg_upernet", 271, "ade20k/upernet_swin-t_512x512_160k_ade20k_mmseg.yaml", True),
    "mmseg_upernet_convnext-t_150_keys.txt": ("mmseg_upernet", 268, "ade20k/upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml", True),
    "hf_upernet_swin-t_150_keys.txt": ("hf_upernet", 309, "Base-UPerNet-Swin-hf.yaml", False),
    "hf_upernet_convnext-t_150_keys.txt": ("hf_upernet", 268, "Base-UPerNet-ConvNeXt-hf.yaml", False),
    "smp_upernet_resnet50_150_keys.txt": ("smp_upernet", 400, "Base-UPerNet-smp.yaml", False),
    "authors_upernet_swin-t_150_keys.txt": ("authors_upernet", 271, "ade20k/upernet_swin-t_512x512_160k_ade20k_mmseg.yaml", True),
    "authors_upernet_convnext-t_150_keys.txt": ("authors_upernet", 268, "ade20k/upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml", True),
}


def table(name):
    return read_key_table(os.path.join(HERE, "data", name))


def model_shapes(recipe):
    return state_shapes(build_on_meta(load_config(os.path.join(CONFIGS, recipe))))


@pytest.mark.parametrize("name", CASES)
def test_every_reference_key_maps_once_onto_a_key_of_the_same_shape(name):
    converter, count, recipe, mmseg = CASES[name]
    ref = table(name)
    assert len(ref) == count
    wrap = (lambda state: {"state_dict": state, "meta": {}}) if mmseg else None
    source = map_key_table(ref, converter, model_shapes(recipe), wrap=wrap)
    # every reference tensor lands somewhere but the derived index buffers and transformers' unused final norm
    unused = {k for k in ref if "relative_position_index" in k or k.startswith("backbone.swin.layernorm.")}
    if "swin" in name and "hf" in name:  # q, k and v become one new qkv tensor per block
        unused |= {k for k in ref if re.search(r"attention\.[qkv]_proj\.", k)}
    if "swin" in name and "mmseg" in name:  # the patch merging's weights are reordered (new tensors)
        unused |= {k for k in ref if ".downsample." in k}
    assert sorted(s for s in source.values() if s is not None) == sorted(set(ref) - unused)


def named(name, converter):
    ref = table(name)
    return convert_weights({k: torch.randn(s) if s else torch.tensor(0) for k, s in ref.items()}, converter), ref


def test_mmseg_keys_land_where_they_belong():
    converted = convert_weights({k: k for k in table("mmseg_upernet_r50_150_keys.txt")}, "mmseg_upernet")
    assert converted["backbone.conv2.weight"] == "backbone.stem.3.weight"
    assert converted["decode_head.ppm.branches.3.1.1.running_var"] == "decode_head.psp_modules.3.1.bn.running_var"
    assert converted["decode_head.lateral_convs.2.0.weight"] == "decode_head.lateral_convs.2.conv.weight"
    assert converted["decode_head.fpn_bottleneck.1.bias"] == "decode_head.fpn_bottleneck.bn.bias"
    assert converted["decode_head.classifier.weight"] == "decode_head.conv_seg.weight"
    assert converted["aux_head.convs.0.1.weight"] == "auxiliary_head.convs.0.bn.weight"
    converted = convert_weights({k: k for k in table("mmseg_upernet_convnext-t_150_keys.txt")}, "mmseg_upernet")
    assert converted["backbone.stages.2.8.pwconv2.weight"] == "backbone.stages.2.8.pointwise_conv2.weight"
    assert converted["backbone.stages.0.1.dwconv.bias"] == "backbone.stages.0.1.depthwise_conv.bias"


def test_mmseg_patch_merging_is_reordered_from_unfold_to_neighbour_order():
    """mmseg's swin2mmseg reorders the authors' weights with [0, 2, 1, 3] over the 4 neighbours, channel-major;
    converting back must give the authors' order (neighbour-major) exactly."""
    c = 96
    authors = torch.randn(2 * c, 4 * c)
    mmseg = authors.reshape(2 * c, 4, c)[:, [0, 2, 1, 3], :].transpose(1, 2).reshape(2 * c, 4 * c)
    authors_norm = torch.randn(4 * c)
    mmseg_norm = authors_norm.reshape(4, c)[[0, 2, 1, 3], :].transpose(0, 1).reshape(4 * c)
    state, ref = named("mmseg_upernet_swin-t_150_keys.txt", "mmseg_upernet")
    source = {k: torch.randn(s) if s else torch.tensor(0) for k, s in ref.items()}
    source["backbone.stages.0.downsample.reduction.weight"] = mmseg
    source["backbone.stages.0.downsample.norm.weight"] = mmseg_norm
    converted = convert_weights(source, "mmseg_upernet")
    assert torch.equal(converted["backbone.layers.0.downsample.reduction.weight"], authors)
    assert torch.equal(converted["backbone.layers.0.downsample.norm.weight"], authors_norm)
    assert torch.equal(converted["backbone.layers.2.blocks.5.attn.qkv.weight"], source["backbone.stages.2.blocks.5.attn.w_msa.qkv.weight"])


def test_hf_query_key_value_are_concatenated_in_that_order():
    ref = table("hf_upernet_swin-t_150_keys.txt")
    source = {k: torch.randn(s) if s else torch.tensor(0) for k, s in ref.items()}
    converted = convert_weights(source, "hf_upernet")
    block = "backbone.swin.encoder.layers.2.blocks.3.attention."
    expected = torch.cat([source[block + f"{p}_proj.weight"] for p in "qkv"])
    assert torch.equal(converted["backbone.layers.2.blocks.3.attn.qkv.weight"], expected)
    assert torch.equal(converted["backbone.norm1.weight"], source["backbone.hidden_states_norms.stage2.weight"])
    assert torch.equal(converted["backbone.layers.1.downsample.reduction.weight"],
                       source["backbone.swin.encoder.layers.1.downsample.reduction.weight"])


def transformers4_names(key: str) -> str:
    """The names of transformers 4 (the hub's openmmlab/upernet-* files): the inverse of transformers 5's
    conversion_mapping.py entries "swin" and "SwinBackbone"."""
    for new, old in (("attention.q_proj", "attention.self.query"), ("attention.k_proj", "attention.self.key"),
                     ("attention.v_proj", "attention.self.value"),
                     ("attention.relative_position_bias.relative_position_bias_table", "attention.self.relative_position_bias_table"),
                     ("attention.o_proj", "attention.output.dense"), ("mlp.fc1", "intermediate.dense"), ("mlp.fc2", "output.dense"),
                     ("backbone.swin.", "backbone.")):
        key = key.replace(new, old)
    return key


def test_hf_files_of_transformers_4_convert_to_the_same_weights():
    ref = table("hf_upernet_swin-t_150_keys.txt")
    source = {k: torch.randn(s) if s else torch.tensor(0) for k, s in ref.items() if not k.startswith("backbone.swin.layernorm.")}
    old = {transformers4_names(k): v for k, v in source.items()}
    assert "backbone.encoder.layers.0.blocks.1.attention.self.query.weight" in old
    new, again = convert_weights(source, "hf_upernet"), convert_weights(old, "hf_upernet")
    assert new.keys() == again.keys() and all(torch.equal(new[k], again[k]) for k in new)


def test_smp_levels_are_reversed():
    converted = convert_weights({k: k for k in table("smp_upernet_resnet50_150_keys.txt")}, "smp_upernet")
    assert converted["decode_head.lateral_convs.2.0.weight"] == "decoder.fpn_lateral_blocks.0.conv_norm_relu.0.weight"
    assert converted["decode_head.lateral_convs.0.1.running_mean"] == "decoder.fpn_lateral_blocks.2.conv_norm_relu.1.running_mean"
    assert converted["decode_head.fpn_convs.0.0.weight"] == "decoder.fpn_conv_blocks.2.0.weight"
    assert converted["decode_head.bottleneck.0.weight"] == "decoder.psp.out_conv.0.weight"
    assert converted["decode_head.input_norms.3.bias"] == "decoder.feature_norms.3.bias"
    assert converted["backbone.layer4.2.conv3.weight"] == "encoder.layer4.2.conv3.weight"


def backbone_without_output_norms(recipe):
    return {k: s for k, s in model_shapes(recipe).items() if k.startswith("backbone.") and not re.match(r"backbone\.norm\d", k)}


@pytest.mark.parametrize("name, converter, recipe, count", [
    ("timm_swin_tiny_patch4_window7_224_keys.txt", "timm_swin", "ade20k/upernet_swin-t_512x512_160k_ade20k_mmseg.yaml", 173),
    ("timm_convnext_tiny_keys.txt", "timm_convnext", "ade20k/upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml", 182),
])
def test_timm_imagenet_backbones_fill_the_backbone_but_its_output_norms(name, converter, recipe, count):
    ref = table(name)
    assert len(ref) == count
    source = map_key_table(ref, converter, backbone_without_output_norms(recipe))
    dropped = {k for k in ref if k.startswith(("head.", "norm.")) or "relative_position_index" in k}
    assert sorted(source.values()) == sorted(set(ref) - dropped)


def test_timm_swin_patch_merging_moves_back_to_the_end_of_the_previous_stage():
    converted = convert_weights({k: k for k in table("timm_swin_tiny_patch4_window7_224_keys.txt")}, "timm_swin")
    assert converted["backbone.layers.0.downsample.reduction.weight"] == "layers.1.downsample.reduction.weight"
    assert converted["backbone.layers.2.downsample.norm.bias"] == "layers.3.downsample.norm.bias"


def test_authors_imagenet_files_and_mmsegs_agree():
    """The authors' layout (ours plus index buffers, masks and the classifier) and mmseg's pretrain files (the
    authors' through swin2mmseg) give the same backbone; likewise the authors' ConvNeXt and mmpretrain's."""
    ours = backbone_without_output_norms("ade20k/upernet_swin-t_512x512_160k_ade20k_mmseg.yaml")
    authors = {k[len("backbone."):]: torch.randn(s) for k, s in ours.items()}
    authors.update({"layers.0.blocks.0.attn.relative_position_index": torch.zeros(49, 49), "layers.0.blocks.1.attn_mask": torch.zeros(64, 49, 49),
                    "norm.weight": torch.ones(768), "head.weight": torch.ones(1000, 768)})
    from_authors = convert_weights({"model": authors}, "swin_imagenet")
    assert set(from_authors) == set(ours)
    mmseg_full = {k: torch.randn(s) if s else torch.tensor(0) for k, s in table("mmseg_upernet_swin-t_150_keys.txt").items()}
    pretrain = {k[len("backbone."):]: v for k, v in mmseg_full.items() if k.startswith("backbone.") and not re.match(r"backbone\.norm\d", k)}
    pretrain["norm.weight"] = torch.ones(768)
    from_pretrain, from_trained = convert_weights({"state_dict": pretrain}, "mmseg_swin_imagenet"), convert_weights(mmseg_full, "mmseg_upernet")
    assert set(from_pretrain) == set(ours) and all(torch.equal(from_pretrain[k], from_trained[k]) for k in from_pretrain)

    convnext = backbone_without_output_norms("ade20k/upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml")
    authors = {k[len("backbone."):]: torch.randn(s) for k, s in convnext.items()}
    authors.update({"norm.weight": torch.ones(768), "head.weight": torch.ones(1000, 768)})
    assert set(convert_weights({"model": authors}, "convnext_imagenet")) == set(convnext)
    mmpretrain = {k.replace("dwconv", "depthwise_conv").replace("pwconv", "pointwise_conv"): torch.randn(s) for k, s in convnext.items()}
    mmpretrain.update({"backbone.norm3.weight": torch.ones(768), "backbone.norm3.bias": torch.ones(768), "head.fc.weight": torch.ones(1000, 768)})
    assert set(convert_weights({"state_dict": mmpretrain}, "mmpretrain_convnext_imagenet")) == set(convnext) | {"backbone.norm3.weight", "backbone.norm3.bias"}


@pytest.mark.parametrize("converter", ["mmseg_upernet", "hf_upernet", "smp_upernet", "authors_upernet", "swin_imagenet", "timm_convnext"])
def test_a_key_of_another_layout_is_refused(converter):
    with pytest.raises(KeyError):
        convert_weights({"backbone.stem.0.weight": torch.zeros(1), "auxiliary_head.conv_cls.weight": torch.zeros(1)}, converter)
