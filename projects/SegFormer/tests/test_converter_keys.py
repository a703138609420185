"""The key tables that tests/checkpoint/test_layouts.py cannot take (listed once from the reference models, MiT-B0
with 150 classes): the layouts that split or stack tensors (transformers' separate key and value, mmsegmentation's
packed q/k/v and 1x1-conv FFN), a second key layout of one converter (transformers 5's module names) and the
ImageNet encoders (backbone only). Each maps every key onto a key of this model with the same shape; the packed
tensors are split or stacked as the references compute with them. nvlabs_segformer and smp_segformer, which move
every tensor as it is, are checked by the generic test."""
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, map_key_table, read_key_table, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

CASES = {  # table: (converter, key count, recipe, reference keys that are packed or reshaped, not moved as they are)
    "hf_segformer": ("hf_segformer", 208, "Base-SegFormer-hf.yaml", 32),  # 8 blocks x key/value x weight/bias
    "hf_segformer_v5": ("hf_segformer", 208, "Base-SegFormer-hf.yaml", 32),
    "mmseg_segformer": ("mmseg_segformer", 192, "ade20k/segformer_mit-b0_512x512_160k_ade20k_mmseg.yaml", 32),  # in_proj x2, 1x1 convs x2
    "hf_mit": ("hf_mit", 194, "Base-SegFormer-hf.yaml", 32),
    "hf_mit_v5": ("hf_mit", 194, "Base-SegFormer-hf.yaml", 32),
    "nvlabs_mit": ("nvlabs_mit", 178, "Base-SegFormer.yaml", 0),
    "mmseg_mit": ("mmseg_mit", 160, "Base-SegFormer-mmseg.yaml", 32),
}
DROPPED = {"hf_mit": {"classifier.weight", "classifier.bias"}, "hf_mit_v5": {"classifier.weight", "classifier.bias"},
           "nvlabs_mit": {"head.weight", "head.bias"}}


def table(name):
    return read_key_table(os.path.join(HERE, "data", f"{name}_keys.txt"))


def model_shapes(recipe, backbone_only):
    shapes = state_shapes(build_on_meta(load_config(os.path.join(CONFIGS, recipe), "MODEL.NUM_CLASSES", 150)))
    return {k: s for k, s in shapes.items() if k.startswith("backbone.") or not backbone_only}


@pytest.mark.parametrize("name", CASES)
def test_every_reference_key_maps_onto_a_key_of_the_same_shape(name):
    converter, count, recipe, packed = CASES[name]
    ref = table(name)
    assert len(ref) == count
    wrap = (lambda s: {"meta": {}, "state_dict": s}) if converter == "mmseg_segformer" else None
    source = map_key_table(ref, converter, model_shapes(recipe, converter.endswith("_mit")), wrap=wrap)
    moved = {s for s in source.values() if s is not None}
    assert len(set(ref) - moved - DROPPED.get(name, set())) == packed


@pytest.mark.parametrize("name", CASES)
def test_a_key_of_another_layout_is_refused(name):
    state = {k: torch.empty(s, device="meta") for k, s in table(name).items()}
    state["decode_head.linear_pred.weight"] = torch.zeros(1)  # the authors' classifier
    with pytest.raises(KeyError, match=r"^'1 checkpoint keys match no rule of this layout: decode_head\.linear_pred\.weight'$"):
        convert_weights(state, CASES[name][0])


def random_state(name):
    g = torch.Generator().manual_seed(0)
    return {k: torch.randn(s, generator=g) if s else torch.tensor(3) for k, s in table(name).items()}


def test_transformers_key_and_value_stack_into_kv():
    for name, prefix in (("hf_segformer", "segformer.encoder.block.2.1.attention.self."),
                         ("hf_segformer_v5", "segformer.stages.2.blocks.1.attention.")):
        state = random_state(name)
        ours = convert_weights(state, "hf_segformer")
        k, v = ("key", "value") if "encoder" in prefix else ("k_proj", "v_proj")
        q = "query" if "encoder" in prefix else "q_proj"
        assert torch.equal(ours["backbone.stages.2.blocks.1.attn.kv.weight"],
                           torch.cat([state[f"{prefix}{k}.weight"], state[f"{prefix}{v}.weight"]]))
        assert torch.equal(ours["backbone.stages.2.blocks.1.attn.kv.bias"],
                           torch.cat([state[f"{prefix}{k}.bias"], state[f"{prefix}{v}.bias"]]))
        assert ours["backbone.stages.2.blocks.1.attn.q.weight"] is state[f"{prefix}{q}.weight"]


def test_mmseg_in_proj_splits_into_q_and_kv_and_ffn_convs_become_matrices():
    state = random_state("mmseg_segformer")
    ours = convert_weights({"state_dict": state}, "mmseg_segformer")
    in_proj = state["backbone.layers.2.1.1.attn.attn.in_proj_weight"]
    assert torch.equal(ours["backbone.stages.2.blocks.1.attn.q.weight"], in_proj[:160])
    assert torch.equal(ours["backbone.stages.2.blocks.1.attn.kv.weight"], in_proj[160:])
    assert torch.equal(ours["backbone.stages.2.blocks.1.attn.kv.bias"], state["backbone.layers.2.1.1.attn.attn.in_proj_bias"][160:])
    assert torch.equal(ours["backbone.stages.0.blocks.0.ffn.fc2.weight"], state["backbone.layers.0.1.0.ffn.layers.4.weight"][:, :, 0, 0])
    assert ours["decode_head.embeds.3.1.running_var"] is state["decode_head.convs.3.bn.running_var"]
    assert ours["decode_head.classifier.weight"] is state["decode_head.conv_seg.weight"]


@pytest.mark.parametrize("name, ref_key, our_key", [
    ("hf_segformer", "decode_head.linear_c.1.proj.weight", "decode_head.embeds.1.weight"),
    ("hf_segformer", "decode_head.batch_norm.running_mean", "decode_head.fuse.1.running_mean"),
    ("hf_segformer", "segformer.encoder.block.0.1.attention.self.sr.weight", "backbone.stages.0.blocks.1.attn.sr.weight"),
    ("hf_segformer_v5", "segformer.stages.3.blocks.0.attention.o_proj.bias", "backbone.stages.3.blocks.0.attn.proj.bias"),
    ("hf_segformer_v5", "decode_head.linear_projections.2.proj.bias", "decode_head.embeds.2.bias"),
    ("mmseg_segformer", "backbone.layers.3.2.weight", "backbone.stages.3.norm.weight"),
    ("mmseg_segformer", "decode_head.fusion_conv.bn.bias", "decode_head.fuse.1.bias"),
    ("mmseg_mit", "layers.1.0.projection.weight", "backbone.stages.1.patch_embed.proj.weight"),
    ("nvlabs_mit", "block2.1.attn.norm.weight", "backbone.stages.1.blocks.1.attn.norm.weight"),
    ("hf_mit_v5", "segformer.stages.1.layer_norm.bias", "backbone.stages.1.norm.bias"),
])
def test_keys_land_where_they_belong(name, ref_key, our_key):
    state = random_state(name)
    assert convert_weights(state, CASES[name][0])[our_key] is state[ref_key]
