"""The ConvNeXt backbone: registration and config, parameter counts, the block's formula, the channels-first
LayerNorm, any input size, and the layer ids of mmsegmentation's layer-wise and stage-wise LR decay."""
import pytest
import torch
import torch.nn.functional as F

from seg_engine.config import get_cfg
from seg_engine.modeling.backbone import Backbone, ConvNeXt, build_convnext_backbone
from seg_engine.modeling.backbone.convnext import ConvNeXtBlock, LayerNorm2d
from seg_engine.modeling.registry import BACKBONE_REGISTRY


def tiny(**kwargs) -> ConvNeXt:
    torch.manual_seed(0)
    return ConvNeXt(**{**dict(depths=(1, 1, 2, 1), dims=(8, 16, 24, 32), drop_path_rate=0.0), **kwargs}).eval()


def test_registered_and_built_from_its_config_node():
    assert BACKBONE_REGISTRY.get("build_convnext_backbone") is build_convnext_backbone
    cfg = get_cfg()
    cfg.MODEL.CONVNEXT.DIMS, cfg.MODEL.CONVNEXT.OUT_FEATURES = [8, 16, 32, 64], ["res2", "res4"]
    model = build_convnext_backbone(cfg)
    assert isinstance(model, Backbone) and len(model.stages) == 3
    assert {k: (s.channels, s.stride) for k, s in model.output_shape().items()} == {"res2": (8, 4), "res4": (32, 16)}
    assert hasattr(model, "norm0") and not hasattr(model, "norm1") and not hasattr(model, "norm3")


# timm's convnext_{tiny,small,base} have 28,589,128 / 50,223,688 / 88,591,464 parameters with a head of
# a LayerNorm (2 x C4) and a fc (C4 x 1000 + 1000); the segmentation backbone has four output norms instead.
@pytest.mark.parametrize("depths, dims, timm_total", [
    ((3, 3, 9, 3), (96, 192, 384, 768), 28_589_128),
    ((3, 3, 27, 3), (96, 192, 384, 768), 50_223_688),
    ((3, 3, 27, 3), (128, 256, 512, 1024), 88_591_464),
])
def test_parameter_counts(depths, dims, timm_total):
    with torch.device("meta"):
        model = ConvNeXt(depths, dims)
    c4 = dims[-1]
    assert sum(p.numel() for p in model.parameters()) == timm_total - (c4 * 1000 + 1000) - 2 * c4 + 2 * sum(dims)


def test_layer_norm_2d_normalizes_each_pixel_over_channels():
    norm = LayerNorm2d(6, eps=1e-6)
    torch.nn.init.normal_(norm.weight)
    torch.nn.init.normal_(norm.bias)
    x = torch.randn(2, 6, 3, 5)
    mean, var = x.mean(1, keepdim=True), x.var(1, unbiased=False, keepdim=True)
    expected = norm.weight[:, None, None] * (x - mean) / torch.sqrt(var + 1e-6) + norm.bias[:, None, None]
    torch.testing.assert_close(norm(x), expected, rtol=1e-5, atol=1e-5)


def test_block_is_the_residual_of_the_papers_formula():
    torch.manual_seed(0)
    block = ConvNeXtBlock(8, layer_scale_init=0.5).eval()
    x = torch.randn(1, 8, 9, 7)
    y = block.dwconv(x).permute(0, 2, 3, 1)
    y = F.layer_norm(y, (8,), block.norm.weight, block.norm.bias, 1e-6)
    y = block.pwconv2(F.gelu(block.pwconv1(y))) * 0.5
    torch.testing.assert_close(block(x), x + y.permute(0, 3, 1, 2))
    assert ConvNeXtBlock(8, layer_scale_init=0).gamma is None


@pytest.mark.parametrize("h, w", [(33, 49), (97, 65), (64, 64)])
def test_any_size_is_floored_by_the_strided_convs(h, w):
    out = tiny()(torch.randn(1, 3, h, w))
    sizes, ph, pw = [], h // 4, w // 4
    for _ in range(4):
        sizes.append((ph, pw))
        ph, pw = ph // 2, pw // 2
    assert [tuple(v.shape[-2:]) for v in out.values()] == sizes
    assert [v.shape[1] for v in out.values()] == [8, 16, 24, 32]


def test_drop_path_and_training():
    model = ConvNeXt((1, 1, 1, 1), (8, 8, 8, 8), drop_path_rate=0.3).train()
    assert [b.drop_path.p for stage in model.stages for b in stage] == pytest.approx([0.0, 0.1, 0.2, 0.3])
    sum(v.sum() for v in model(torch.randn(2, 3, 64, 64)).values()).backward()
    assert model.stages[0][0].gamma.grad.abs().sum() > 0


# mmsegmentation's get_layer_id_for_convnext / get_stage_id_for_convnext (LearningRateDecayOptimizerConstructor),
# for ConvNeXt-B's 12 layers, with the backbone prefix removed.
@pytest.mark.parametrize("name, layer_wise, stage_wise", [
    ("downsample_layers.0.0.weight", 0, 0),
    ("downsample_layers.1.1.bias", 2, 0),
    ("downsample_layers.2.0.weight", 3, 0),
    ("downsample_layers.3.1.weight", 12, 0),
    ("stages.0.2.gamma", 1, 1),
    ("stages.1.0.dwconv.weight", 2, 2),
    ("stages.2.0.norm.weight", 3, 3),
    ("stages.2.5.pwconv1.weight", 4, 3),
    ("stages.2.26.pwconv2.bias", 11, 3),
    ("stages.3.1.gamma", 12, 4),
    ("norm2.weight", 13, 13),
])
def test_lr_decay_layer_ids_are_mmsegmentations(name, layer_wise, stage_wise):
    model = tiny()
    assert model.lr_decay_layer_id(name, "layer_wise", 12) == layer_wise
    assert model.lr_decay_layer_id(name, "stage_wise", 12) == stage_wise


@pytest.mark.parametrize("args, match", [
    (dict(depths=(1, 1, 1)), "MODEL.CONVNEXT.DEPTHS and DIMS must be 4 positive ints"),
    (dict(out_features=[]), "MODEL.CONVNEXT.OUT_FEATURES must be a non-empty subset"),
])
def test_bad_arguments_name_the_key(args, match):
    with pytest.raises(ValueError, match=match):
        tiny(**args)
