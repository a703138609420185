"""The all-MLP head in its two forms: the order of the concatenated levels, the per-level layers, the dropout
kind, and that the model takes any input size in training and evaluation."""
import os

import pytest
import torch
import torch.nn.functional as F

from seg_engine.config import ConfigError
from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec, build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import image_batch, load_config

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_plugin(PROJECT)
SegFormerHead = HEAD_REGISTRY.get("SegFormerHead")
CONFIGS = os.path.join(PROJECT, "configs")
SHAPES = {"res2": ShapeSpec(8, 4), "res3": ShapeSpec(16, 8), "res4": ShapeSpec(40, 16), "res5": ShapeSpec(64, 32)}
NARROW = ("MODEL.MIT.EMBED_DIMS", "[8, 16, 40, 64]", "MODEL.MIT.DEPTHS", "[1, 1, 1, 1]", "MODEL.HEAD.CHANNELS", 16,
          "MODEL.NUM_CLASSES", 5, "MODEL.DEVICE", "cpu")


def features():
    g = torch.Generator().manual_seed(0)
    return {k: torch.randn(2, s.channels, 25 * 4 // s.stride, 17 * 4 // s.stride, generator=g) for k, s in SHAPES.items()}


def head(form):
    torch.manual_seed(0)
    h = SegFormerHead([s.channels for s in SHAPES.values()], list(SHAPES), 12, 5, form=form).eval()
    with torch.no_grad():
        for m in h.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
    return h


def up(x, size):
    return x if x.shape[-2:] == size else F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def test_authors_form_linear_per_level_then_deepest_first():
    h, f = head("nvlabs"), features()
    size = f["res2"].shape[-2:]
    with torch.no_grad():
        levels = [up(F.linear(f[k].movedim(1, -1), e.weight, e.bias).movedim(-1, 1), size) for k, e in zip(SHAPES, h.embeds)]
        expected = h.classifier(h.fuse(torch.cat(levels[::-1], 1)))
        assert torch.allclose(h(f), expected, atol=1e-5)
        assert not torch.allclose(h.classifier(h.fuse(torch.cat(levels, 1))), expected, atol=1e-3)
    assert isinstance(h.embeds[0], torch.nn.Linear) and isinstance(h.dropout, torch.nn.Dropout2d)


def test_mmseg_form_conv_bn_relu_per_level_then_finest_first():
    h, f = head("mmseg"), features()
    size = f["res2"].shape[-2:]
    with torch.no_grad():
        levels = [up(e(f[k]), size) for k, e in zip(SHAPES, h.embeds)]
        assert torch.allclose(h(f), h.classifier(h.fuse(torch.cat(levels, 1))), atol=1e-5)
    conv, bn, relu = h.embeds[3]
    assert (conv.kernel_size, conv.bias, type(bn).__name__, type(relu).__name__) == ((1, 1), None, "BatchNorm2d", "ReLU")


def test_parameter_difference_of_the_forms_is_a_bias_against_a_norm_per_level():
    counts = {form: sum(p.numel() for p in head(form).parameters()) for form in ("nvlabs", "mmseg")}
    assert counts["mmseg"] - counts["nvlabs"] == 4 * 12  # per level: -12 biases, +24 BN affine


def test_transformers_dropout_drops_values_not_channels():
    cfg = load_config(os.path.join(CONFIGS, "Base-SegFormer-hf.yaml"), *NARROW)
    assert type(build_model(cfg).decode_head.dropout) is torch.nn.Dropout


@pytest.mark.parametrize("recipe", ["Base-SegFormer.yaml", "Base-SegFormer-mmseg.yaml"])
def test_any_size_trains_and_evaluates(recipe):
    torch.manual_seed(0)
    model = build_model(load_config(os.path.join(CONFIGS, recipe), *NARROW))
    model.train()
    losses = model(image_batch((65, 97), (47, 71), with_masks=True))
    assert set(losses) == {"loss_sem_seg"} and torch.isfinite(losses["loss_sem_seg"])
    losses["loss_sem_seg"].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters()), "every parameter learns"
    model.eval()
    with torch.no_grad():
        outputs = model(image_batch((97, 65), (33, 49)))
    assert [tuple(o["sem_seg"].shape) for o in outputs] == [(5, 97, 65), (5, 33, 49)]


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match=r"MODEL.HEAD.IN_FEATURES \['res2', 'p3'\] must name maps among \['res2', 'res3', 'res4', 'res5'\]"):
        build_model(load_config(os.path.join(CONFIGS, "Base-SegFormer.yaml"), *NARROW, "MODEL.HEAD.IN_FEATURES", "['res2', 'p3']"))
    with pytest.raises(ConfigError, match="MODEL.SEGFORMER.HEAD_FORM must be one of 'nvlabs', 'mmseg', got 'hf'"):
        from seg_engine.config import validate_values
        validate_values(load_config(os.path.join(CONFIGS, "Base-SegFormer.yaml"), "MODEL.SEGFORMER.HEAD_FORM", "hf"))


def test_the_head_reads_the_levels_its_node_lists():
    cfg = load_config(os.path.join(CONFIGS, "Base-SegFormer.yaml"), *NARROW, "MODEL.HEAD.IN_FEATURES", "['res3', 'res4', 'res5']")
    model = build_model(cfg).eval()
    assert [e.in_features for e in model.decode_head.embeds] == [16, 40, 64]
    with torch.no_grad():
        (out,) = model(image_batch((65, 97)))
    assert tuple(out["sem_seg"].shape) == (5, 65, 97)
