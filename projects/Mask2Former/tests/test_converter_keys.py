"""hf_mask2former and hf_mask2former_swin map every key of transformers' Mask2FormerForUniversalSegmentation
(ResNet-50 and Swin-T, 150 classes) onto the R50 and Swin-T recipes one to one; parameter counts of both sides are
pinned. (Their q, k and v become new packed tensors, which tests/checkpoint/test_layouts.py's one-tensor-per-key check
cannot follow.)

The tables (data/hf_mask2former_{r50,swin-t}_keys.txt) list the state_dict keys and shapes of the reference
models, written once from transformers 5.25.0.
"""
import os

import pytest
import torch

from seg_engine.checkpoint import convert_weights
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, map_key_table, num_params, read_key_table, state_shapes

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

R50_HF = os.path.join(CONFIGS, "ade20k", "mask2former_r50_512x512_160k_ade20k_hf.yaml")
HF_R50_PARAMETERS = 44_041_367  # transformers' count (its BN affines are parameters)
FROZEN_BN_AFFINES = 53_120  # ResNet-50's BN weights and biases: buffers of FrozenBN here


def hf_table():
    return read_key_table(os.path.join(HERE, "data", "hf_mask2former_r50_keys.txt"))


@pytest.fixture(scope="module")
def model():
    return build_on_meta(load_config(R50_HF))


def test_every_reference_key_maps_once_onto_a_key_of_the_same_shape(model):
    ref = hf_table()
    assert len(ref) == 647
    source = map_key_table(ref, "hf_mask2former", state_shapes(model))
    dropped = {k for k in ref if k.endswith("num_batches_tracked") or k == "criterion.empty_weight"}
    packed = {k for k in ref if ".self_attn.q_proj." in k or ".self_attn.k_proj." in k or ".self_attn.v_proj." in k}
    assert len(dropped) == 54 and len(packed) == 9 * 3 * 2
    assert sorted(k for k in source.values() if k) == sorted(set(ref) - dropped - packed)
    assert sum(v is None for v in source.values()) == 9 * 2, "one packed in_proj weight and bias per layer"


def test_parameter_counts_are_pinned(model):
    assert num_params(model) == 43_988_247
    assert num_params(model) + FROZEN_BN_AFFINES == HF_R50_PARAMETERS
    header = open(os.path.join(HERE, "data", "hf_mask2former_r50_keys.txt")).read().splitlines()[2]
    assert f"{HF_R50_PARAMETERS} parameters" in header


def test_keys_land_where_they_belong_and_qkv_pack_in_order():
    ref = hf_table()
    state = {k: torch.full(s[:1] or (1,), float(i)) for i, (k, s) in enumerate(ref.items())}  # first dim only
    converted = convert_weights(state, "hf_mask2former")
    index = {k: i for i, k in enumerate(ref)}

    def came_from(ours, theirs):
        return converted[ours].flatten()[0].item() == index[theirs]

    enc = "model.pixel_level_module.encoder."
    dec = "model.transformer_module.decoder."
    assert came_from("backbone.conv1.weight", enc + "embedder.embedder.convolution.weight")
    assert came_from("backbone.layer3.5.conv2.weight", enc + "encoder.stages.2.layers.5.layer.1.convolution.weight")
    assert came_from("backbone.layer4.0.downsample.1.running_var",
                     enc + "encoder.stages.3.layers.0.shortcut.normalization.running_var")
    assert came_from("neck.encoder.5.norm2.weight",
                     "model.pixel_level_module.decoder.encoder.layers.5.final_layer_norm.weight")
    assert came_from("neck.lateral_convs.0.1.bias", "model.pixel_level_module.decoder.adapter_1.1.bias")
    assert came_from("neck.output_convs.0.0.weight", "model.pixel_level_module.decoder.layer_1.0.weight")
    assert came_from("decode_head.query_feat.weight", "model.transformer_module.queries_features.weight")
    assert came_from("decode_head.query_embed.weight", "model.transformer_module.queries_embedder.weight")
    assert came_from("decode_head.mask_embed.layers.2.bias", dec + "mask_predictor.mask_embedder.2.0.bias")
    assert came_from("decode_head.class_embed.weight", "class_predictor.weight")
    packed = converted["decode_head.layers.4.self_attn.in_proj_weight"]
    assert packed.shape == (768,)
    assert [packed[i * 256].item() for i in range(3)] == [
        index[dec + f"layers.4.self_attn.{p}_proj.weight"] for p in "qkv"]


SWIN_T_HF = os.path.join(CONFIGS, "ade20k", "mask2former_swin-t_512x512_160k_ade20k_hf.yaml")
HF_SWIN_T_PARAMETERS = 47_441_169
UNUSED_FINAL_LAYERNORM = 2 * 768  # SwinBackbone's swin.layernorm, which no output reads


def test_swin_t_reference_keys_map_once_and_parameter_counts_are_pinned():
    ref = read_key_table(os.path.join(HERE, "data", "hf_mask2former_swin-t_keys.txt"))
    assert len(ref) == 556
    model = build_on_meta(load_config(SWIN_T_HF))
    assert num_params(model) == 47_439_633 == HF_SWIN_T_PARAMETERS - UNUSED_FINAL_LAYERNORM
    source = map_key_table(ref, "hf_mask2former_swin", state_shapes(model))
    dropped = {k for k in ref if k == "criterion.empty_weight" or ".swin.layernorm." in k}
    packed = {k for k in ref if any(f".{p}_proj." in k for p in "qkv")}
    assert len(packed) == (12 + 9) * 3 * 2  # 12 Swin-T blocks, 9 decoder layers
    assert sorted(k for k in source.values() if k) == sorted(set(ref) - dropped - packed)
    assert sum(v is None for v in source.values()) == (12 + 9) * 2
    converted = convert_weights({k: torch.full(s[:1] or (1,), float(i)) for i, (k, s) in enumerate(ref.items())},
                                "hf_mask2former_swin")
    index = {k: i for i, k in enumerate(ref)}
    enc = "model.pixel_level_module.encoder."
    assert converted["backbone.norm2.weight"][0] == index[enc + "hidden_states_norms.stage3.weight"]
    assert converted["backbone.layers.2.blocks.5.attn.proj.bias"][0] == index[enc + "swin.encoder.layers.2.blocks.5.attention.o_proj.bias"]
    qkv = converted["backbone.layers.1.blocks.0.attn.qkv.weight"]
    assert [qkv[i * 192].item() for i in range(3)] == [
        index[enc + f"swin.encoder.layers.1.blocks.0.attention.{p}_proj.weight"] for p in "qkv"]


@pytest.mark.parametrize("table, wrong", [("hf_mask2former_r50_keys.txt", "hf_mask2former_swin"),
                                          ("hf_mask2former_swin-t_keys.txt", "hf_mask2former")])
def test_a_checkpoint_of_the_other_backbone_is_refused(table, wrong):
    state = {k: torch.empty(s, device="meta") for k, s in read_key_table(os.path.join(HERE, "data", table)).items()}
    with pytest.raises(KeyError, match="checkpoint keys match no rule of this layout"):
        convert_weights(state, wrong)
