"""The Mix Transformer: stage shapes at any input size, the per-stage layers, stochastic depth and the
LayerNorm epsilons each reference sets, and its errors."""
import os
import sys

import pytest
import torch

from seg_engine.modeling import BACKBONE_REGISTRY
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)
MixVisionTransformer = sys.modules[BACKBONE_REGISTRY.get("build_mit_backbone").__module__].MixVisionTransformer

CONFIGS = os.path.join(PROJECT, "configs")


def tiny(**kwargs):
    torch.manual_seed(0)
    args = dict(embed_dims=(8, 16, 40, 64), depths=(1, 2, 1, 1), drop_path_rate=0.1)
    return MixVisionTransformer(**{**args, **kwargs}).eval()


def test_stages_have_strides_4_to_32_and_take_odd_sizes():
    model = tiny()
    assert {k: (s.channels, s.stride) for k, s in model.output_shape().items()} == {
        "res2": (8, 4), "res3": (16, 8), "res4": (40, 16), "res5": (64, 32)}
    with torch.no_grad():
        maps = model(torch.randn(2, 3, 97, 65))
    # each overlapping embedding (padding k // 2) gives ceil(side / stride): 97 -> 25 -> 13 -> 7 -> 4
    assert [tuple(m.shape) for m in maps.values()] == [(2, 8, 25, 17), (2, 16, 13, 9), (2, 40, 7, 5), (2, 64, 4, 3)]


def test_layers_of_a_stage():
    model = tiny()
    first, last = model.stages[0], model.stages[3]
    assert (first.patch_embed.proj.kernel_size, first.patch_embed.proj.stride, first.patch_embed.proj.padding) == ((7, 7), (4, 4), (3, 3))
    assert (last.patch_embed.proj.kernel_size, last.patch_embed.proj.stride, last.patch_embed.proj.padding) == ((3, 3), (2, 2), (1, 1))
    assert [s.blocks[0].attn.sr.kernel_size for s in model.stages[:3]] == [(8, 8), (4, 4), (2, 2)]
    assert last.blocks[0].attn.sr is None and last.blocks[0].attn.norm is None
    assert [s.blocks[0].attn.num_heads for s in model.stages] == [1, 2, 5, 8]
    ffn = first.blocks[0].ffn
    assert (ffn.fc1.out_features, ffn.dwconv.groups, ffn.dwconv.kernel_size) == (32, 32, (3, 3))


def test_stochastic_depth_rises_linearly_over_all_blocks():
    model = tiny()
    rates = [b.drop_path.p for s in model.stages for b in s.blocks]
    assert rates == pytest.approx([0.0, 0.025, 0.05, 0.075, 0.1])
    x = torch.randn(4, 3, 33, 49)
    with torch.no_grad():
        evaluated = model(x)["res5"]
        model.train()
        torch.manual_seed(1)
        trained = model(x)["res5"]
    assert not torch.allclose(evaluated, trained), "some residual branches are dropped in training"
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x)["res5"], evaluated)


def test_attention_matches_an_explicit_softmax():
    attn = tiny().stages[1].blocks[0].attn
    x = torch.randn(2, 13 * 9, 16)
    with torch.no_grad():
        out = attn(x, (13, 9))
        grid = x.transpose(1, 2).reshape(2, 16, 13, 9)
        context = attn.norm(attn.sr(grid).flatten(2).transpose(1, 2))
        q = attn.q(x).reshape(2, -1, 2, 8).transpose(1, 2)
        k, v = attn.kv(context).reshape(2, -1, 2, 2, 8).permute(2, 0, 3, 1, 4)
        weights = (q @ k.transpose(-2, -1) / 8 ** 0.5).softmax(-1)
        expected = attn.proj((weights @ v).transpose(1, 2).reshape(2, -1, 16))
    assert torch.allclose(out, expected, atol=1e-6)


@pytest.mark.parametrize("recipe, block_eps, embed_eps", [
    ("Base-SegFormer.yaml", 1e-6, 1e-5),        # NVlabs (and smp): nn.LayerNorm's 1e-5 in embeddings and reductions
    ("Base-SegFormer-smp.yaml", 1e-6, 1e-5),
    ("Base-SegFormer-mmseg.yaml", 1e-6, 1e-6),  # mmseg: norm_cfg LN eps 1e-6 everywhere
    ("Base-SegFormer-hf.yaml", 1e-5, 1e-5),     # transformers: nn.LayerNorm(hidden_size) everywhere
])
def test_layernorm_epsilons_follow_each_reference(recipe, block_eps, embed_eps):
    mit = build_on_meta(load_config(os.path.join(CONFIGS, recipe))).backbone
    stage = mit.stages[0]
    assert (stage.blocks[0].norm1.eps, stage.blocks[0].norm2.eps, stage.norm.eps) == (block_eps,) * 3
    assert (stage.patch_embed.norm.eps, stage.blocks[0].attn.norm.eps) == (embed_eps,) * 2


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="one entry per stage"):
        MixVisionTransformer(depths=(2, 2, 2))
    with pytest.raises(ValueError, match="not a multiple of 5 heads"):
        MixVisionTransformer(embed_dims=(8, 16, 32, 64))
    with pytest.raises(ValueError, match=r"MODEL.MIT.OUT_FEATURES must be among \['res2', 'res3', 'res4', 'res5'\]"):
        MixVisionTransformer(out_features=("res6",))
