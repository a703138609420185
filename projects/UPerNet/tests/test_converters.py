"""What tests/checkpoint/test_layouts.py does not check of the UPerNet layouts: transformers' Swin table (its query,
key and value are stacked into new qkv tensors, so the generic one-tensor-per-key check cannot take it), in both of
transformers' namings, and the tensors the layouts remake, on numbers (mmsegmentation's patch merging, q/k/v order)."""
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


def table(name):
    return read_key_table(os.path.join(HERE, "data", name))


def random_state(ref):
    return {k: torch.randn(s) if s else torch.tensor(0) for k, s in ref.items()}


def test_every_key_of_transformers_swin_upernet_maps_onto_the_model():
    ref = table("hf_upernet_swin-t_150_keys.txt")
    assert len(ref) == 309
    ours = state_shapes(build_on_meta(load_config(os.path.join(CONFIGS, "Base-UPerNet-Swin-hf.yaml"))))
    source = map_key_table(ref, "hf_upernet_swin", ours)
    # every reference tensor lands somewhere but q, k and v (stacked into one new qkv tensor per block), the
    # window-size index buffers and the classifier's unused final layernorm
    unused = {k for k in ref if re.search(r"attention\.[qkv]_proj\.|relative_position_index|^backbone\.swin\.layernorm\.", k)}
    assert sorted(s for s in source.values() if s is not None) == sorted(set(ref) - unused)
    assert sorted(k for k, s in source.items() if s is None) == sorted(
        f"backbone.layers.{i}.blocks.{j}.attn.qkv.{p}" for i, n in enumerate((2, 2, 6, 2)) for j in range(n)
        for p in ("weight", "bias"))


def test_mmseg_patch_merging_is_reordered_from_unfold_to_neighbour_order():
    """mmseg's swin2mmseg reorders the authors' weights with [0, 2, 1, 3] over the 4 neighbours, channel-major;
    converting back must give the authors' order (neighbour-major) exactly."""
    c = 96
    authors = torch.randn(2 * c, 4 * c)
    mmseg = authors.reshape(2 * c, 4, c)[:, [0, 2, 1, 3], :].transpose(1, 2).reshape(2 * c, 4 * c)
    authors_norm = torch.randn(4 * c)
    mmseg_norm = authors_norm.reshape(4, c)[[0, 2, 1, 3], :].transpose(0, 1).reshape(4 * c)
    source = random_state(table("mmseg_upernet_swin-t_150_keys.txt"))
    source["backbone.stages.0.downsample.reduction.weight"] = mmseg
    source["backbone.stages.0.downsample.norm.weight"] = mmseg_norm
    converted = convert_weights(source, "mmseg_upernet_swin")
    assert torch.equal(converted["backbone.layers.0.downsample.reduction.weight"], authors)
    assert torch.equal(converted["backbone.layers.0.downsample.norm.weight"], authors_norm)
    assert torch.equal(converted["backbone.layers.2.blocks.5.attn.qkv.weight"], source["backbone.stages.2.blocks.5.attn.w_msa.qkv.weight"])


def test_hf_query_key_value_are_concatenated_in_that_order():
    source = random_state(table("hf_upernet_swin-t_150_keys.txt"))
    converted = convert_weights(source, "hf_upernet_swin")
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
    source = {k: v for k, v in random_state(ref).items() if not k.startswith("backbone.swin.layernorm.")}
    old = {transformers4_names(k): v for k, v in source.items()}
    assert "backbone.encoder.layers.0.blocks.1.attention.self.query.weight" in old
    new, again = convert_weights(source, "hf_upernet_swin"), convert_weights(old, "hf_upernet_swin")
    assert new.keys() == again.keys() and all(torch.equal(new[k], again[k]) for k in new)


def test_hf_swin_without_a_key_projection_is_refused_by_name():
    state = random_state(table("hf_upernet_swin-t_150_keys.txt"))
    del state["backbone.swin.encoder.layers.1.blocks.0.attention.k_proj.bias"]
    with pytest.raises(KeyError, match=r"layers\.1\.blocks\.0\.attention\.: the query, key and value bias tensors come "
                                       r"together, got only \['q', 'v'\]"):
        convert_weights(state, "hf_upernet_swin")


def test_hf_swin_refuses_a_key_of_another_layout():
    state = random_state(table("hf_upernet_swin-t_150_keys.txt"))
    state["auxiliary_head.conv_seg.weight"] = torch.zeros(1)
    with pytest.raises(KeyError, match="1 checkpoint keys match no rule of this layout: auxiliary_head.conv_seg.weight"):
        convert_weights(state, "hf_upernet_swin")


@pytest.mark.parametrize("table_name, wrong, right", [
    ("mmseg_upernet_swin-t_150_keys.txt", "mmseg_upernet_convnext", "mmseg_upernet_swin"),
    ("mmseg_upernet_convnext-t_150_keys.txt", "mmseg_upernet", "mmseg_upernet_convnext"),
    ("authors_upernet_swin-t_150_keys.txt", "authors_upernet_convnext", "authors_upernet_swin"),
])
def test_a_checkpoint_of_another_backbone_is_refused(table_name, wrong, right):
    """One layout per backbone: the wrong one names the keys it cannot place instead of loading half the weights."""
    state = {k: torch.empty(s, device="meta") for k, s in table(table_name).items()}
    with pytest.raises(KeyError, match="checkpoint keys match no rule of this layout"):
        convert_weights(state, wrong)
    assert convert_weights(state, right)
