"""The Swin backbone: registration and config, parameter counts, window attention against a per-window
computation written out here, the shifted-window mask, and padding for any size."""
import math

import pytest
import torch
import torch.nn.functional as F

from seg_engine.config import get_cfg
from seg_engine.modeling.backbone import Backbone, SwinTransformer, build_swin_backbone
from seg_engine.modeling.backbone.swin import (
    MASK_VALUE, PatchMerging, SwinBlock, WindowAttention, relative_position_index, shifted_window_mask,
    window_partition, window_reverse,
)
from seg_engine.modeling.registry import BACKBONE_REGISTRY


def tiny(**kwargs) -> SwinTransformer:
    torch.manual_seed(0)
    args = dict(embed_dim=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4), window_size=3, drop_path_rate=0.0)
    return SwinTransformer(**{**args, **kwargs}).eval()


def test_registered_and_built_from_its_config_node():
    assert BACKBONE_REGISTRY.get("build_swin_backbone") is build_swin_backbone
    cfg = get_cfg()
    cfg.MODEL.SWIN.EMBED_DIM, cfg.MODEL.SWIN.NUM_HEADS = 16, [1, 2, 4, 8]
    cfg.MODEL.SWIN.OUT_FEATURES = ["res3", "res5"]
    model = build_swin_backbone(cfg)
    assert isinstance(model, Backbone)
    assert {k: (s.channels, s.stride) for k, s in model.output_shape().items()} == {"res3": (32, 8), "res5": (128, 32)}
    assert not hasattr(model, "norm0") and hasattr(model, "norm1") and hasattr(model, "norm3")


# Swin-T/S/B without their ImageNet heads (timm's swin_{tiny,small,base}_patch4_window7_224 have 28,288,354 /
# 49,606,258 / 87,768,224 parameters with a fc of 768 (1024) x 1000 + 1000 and a final norm of 2 x 768 (1024)),
# plus the four output norms of the segmentation backbone: 2 x (C + 2C + 4C + 8C).
@pytest.mark.parametrize("embed_dim, depths, heads, timm_total", [
    (96, (2, 2, 6, 2), (3, 6, 12, 24), 28_288_354),
    (96, (2, 2, 18, 2), (3, 6, 12, 24), 49_606_258),
    (128, (2, 2, 18, 2), (4, 8, 16, 32), 87_768_224),
])
def test_parameter_counts(embed_dim, depths, heads, timm_total):
    with torch.device("meta"):
        model = SwinTransformer(embed_dim, depths, heads)
    c8 = 8 * embed_dim
    expected = timm_total - (c8 * 1000 + 1000) - 2 * c8 + 2 * 15 * embed_dim
    assert sum(p.numel() for p in model.parameters()) == expected


def test_stages_past_the_deepest_output_are_not_built():
    model = tiny(out_features=["res3"])
    assert len(model.layers) == 2 and model.layers[1].downsample is None
    assert set(model(torch.randn(1, 3, 32, 32))) == {"res3"}


@pytest.mark.parametrize("h, w", [(33, 49), (97, 65), (32, 32), (5, 3)])
def test_any_size_gives_ceil_divided_maps(h, w):
    out = tiny()(torch.randn(2, 3, h, w))
    sizes = {}
    ph, pw = math.ceil(h / 4), math.ceil(w / 4)
    for name in ("res2", "res3", "res4", "res5"):
        sizes[name] = (ph, pw)
        ph, pw = math.ceil(ph / 2), math.ceil(pw / 2)
    assert {k: tuple(v.shape[-2:]) for k, v in out.items()} == sizes
    assert [v.shape[1] for v in out.values()] == [8, 16, 32, 64]


def test_relative_position_index_is_the_offset_between_tokens():
    ws = 3
    index = relative_position_index(ws)
    for a in range(ws * ws):
        for b in range(ws * ws):
            dh, dw = a // ws - b // ws, a % ws - b % ws
            assert index[a, b] == (dh + ws - 1) * (2 * ws - 1) + (dw + ws - 1)


def test_window_partition_round_trips():
    x = torch.randn(2, 6, 9, 4)
    windows = window_partition(x, 3)
    assert windows.shape == (2, 6, 9, 4)
    assert torch.equal(windows[1, 4], x[1, 3:6, 3:6].reshape(9, 4))  # window (1, 1) of a 2 x 3 grid
    assert torch.equal(window_reverse(windows, 3, 6, 9), x)


def test_shifted_window_mask_separates_the_rolled_regions():
    """On a 6x6 map with window 3 and shift 1, the rolled map's regions are rows/cols [0, 3), [3, 5), [5, 6)."""
    mask = shifted_window_mask(6, 6, 3, 1, torch.device("cpu"))
    assert mask.shape == (4, 9, 9)
    assert torch.all(mask[0] == 0)  # the top-left window lies in one region
    region = torch.tensor([0, 0, 0, 1, 1, 2])
    for win, (r0, c0) in enumerate([(0, 0), (0, 3), (3, 0), (3, 3)]):
        labels = [(region[r0 + i // 3].item(), region[c0 + i % 3].item()) for i in range(9)]
        expected = torch.tensor([[0.0 if labels[a] == labels[b] else MASK_VALUE for b in range(9)] for a in range(9)])
        assert torch.equal(mask[win], expected)


def test_window_attention_equals_the_formula_per_window():
    torch.manual_seed(0)
    attn = WindowAttention(8, 2, 3).eval()
    torch.nn.init.normal_(attn.relative_position_bias_table)
    x = torch.randn(2, 4, 9, 8)
    mask = shifted_window_mask(6, 6, 3, 1, torch.device("cpu"))
    out = attn(x, mask)
    q, k, v = attn.qkv(x).chunk(3, dim=-1)
    bias = attn.relative_position_bias_table[relative_position_index(3).view(-1)].view(9, 9, 2)
    for b in range(2):
        for win in range(4):
            heads = []
            for h in range(2):
                s = slice(4 * h, 4 * h + 4)
                logits = q[b, win, :, s] @ k[b, win, :, s].T / 2.0 + bias[..., h] + mask[win]
                heads.append(logits.softmax(-1) @ v[b, win, :, s])
            expected = attn.proj(torch.cat(heads, -1))
            torch.testing.assert_close(out[b, win], expected, rtol=1e-5, atol=1e-5)


def test_a_token_sees_only_its_window_without_shift_and_the_next_windows_with_it():
    torch.manual_seed(0)
    plain, shifted = SwinBlock(8, 2, 3, shift=0).eval(), SwinBlock(8, 2, 3, shift=1).eval()
    for p in [*plain.parameters(), *shifted.parameters()]:
        torch.nn.init.normal_(p, std=0.2)
    x = torch.randn(1, 6, 6, 8)
    y = x.clone()
    y[0, 5, 5] += torch.randn(8)  # a token of the bottom-right window (not a constant: the norm would remove it)
    with torch.no_grad():
        changed = (plain(x) - plain(y)).abs().sum(-1)[0] > 0
        assert changed[3:, 3:].all() and not changed[:3].any() and not changed[:, :3].any()
        # rolled by -1, token (5, 5) sits at (4, 4), in the rolled window of rows/cols 3..5: original rows/cols 4, 5, 0
        changed = (shifted(x) - shifted(y)).abs().sum(-1)[0] > 0
        assert changed[5, 5] and changed[4, 4] and not changed[1:4].any()


def test_patch_merging_concatenates_neighbours_in_the_authors_order_and_pads_odd_maps():
    merge = PatchMerging(2)
    x = torch.arange(3 * 3 * 2, dtype=torch.float).view(1, 3, 3, 2)
    padded = F.pad(x, (0, 0, 0, 1, 0, 1))
    concat = torch.cat([padded[:, 0::2, 0::2], padded[:, 1::2, 0::2], padded[:, 0::2, 1::2], padded[:, 1::2, 1::2]], -1)
    torch.testing.assert_close(merge(x), merge.reduction(merge.norm(concat)))


def test_a_stage_of_one_window_is_still_shifted_and_masked():
    """A 7x5 map in windows of 7 is padded to one window; the shifted block still rolls and masks it."""
    torch.manual_seed(0)
    block = SwinBlock(8, 2, 7, shift=3).eval()
    x = torch.randn(1, 7, 5, 8)
    with torch.no_grad():
        shifted = block(x)
        block.shift = 0
        assert not torch.allclose(shifted, block(x))


def test_drop_path_rises_linearly_over_all_blocks_and_trains():
    model = SwinTransformer(8, (2, 2, 2, 2), (1, 1, 1, 1), 3, drop_path_rate=0.7)
    rates = [b.drop_path.p for stage in model.layers for b in stage.blocks]
    assert rates == pytest.approx([0.1 * i for i in range(8)])
    out = model.train()(torch.randn(2, 3, 33, 49))
    sum(v.sum() for v in out.values()).backward()
    assert model.patch_embed.proj.weight.grad.abs().sum() > 0
    assert model.layers[3].blocks[1].attn.relative_position_bias_table.grad.abs().sum() > 0


def test_relative_position_index_is_not_saved():
    keys = tiny().state_dict()
    assert not any("relative_position_index" in k for k in keys)
    assert "layers.0.blocks.1.attn.relative_position_bias_table" in keys and "layers.2.downsample.reduction.weight" in keys


@pytest.mark.parametrize("args, match", [
    (dict(depths=(2, 2, 2)), "MODEL.SWIN.DEPTHS and NUM_HEADS must be 4 positive ints"),
    (dict(out_features=["res6"]), "MODEL.SWIN.OUT_FEATURES must be a non-empty subset"),
    (dict(embed_dim=10, num_heads=(3, 3, 3, 3)), "10 channels do not split into 3 heads"),
])
def test_bad_arguments_name_the_key(args, match):
    with pytest.raises(ValueError, match=match):
        tiny(**args)
