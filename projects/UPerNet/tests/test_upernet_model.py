"""UPerNet's structure (parameter counts equal to the references', the head's layout and top-down sum), the
head as a part of the core EncoderDecoder on ResNet, Swin and ConvNeXt, odd input sizes in training and
inference, and equal results in bfloat16 and channels-last on CPU."""
import os

import pytest
import torch
import torch.nn.functional as F

from seg_engine.modeling import EncoderDecoder, ShapeSpec
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, image_batch, load_config, num_params, randomize_batchnorm

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))
from seg_engine_projects.upernet import UPerNetHead  # noqa: E402  (the installed package load_plugin imports)

# recipe: parameters at 150 classes, and the reference that has exactly as many
COUNTS = {
    "ade20k/upernet_r50_512x512_80k_ade20k_mmseg.yaml": 66_516_108,  # mmseg upernet_r50
    "ade20k/upernet_swin-t_512x512_160k_ade20k_mmseg.yaml": 59_941_862,  # mmseg upernet_swin-t (transformers: + 1,536 of an unused norm)
    "ade20k/upernet_convnext-t_512x512_160k_ade20k_mmseg.yaml": 60_242_636,  # mmseg and transformers ConvNeXt-T
    "Base-UPerNet-smp.yaml": 37_322_966,  # smp.UPerNet("resnet50", classes=150)
}


def cfg(recipe, *opts):
    return load_config(os.path.join(CONFIGS, recipe), "MODEL.DEVICE", "cpu", "MODEL.WEIGHTS", "", *opts)


@pytest.mark.parametrize("recipe", COUNTS)
def test_parameter_counts_equal_the_references(recipe):
    model = build_on_meta(cfg(recipe))
    assert type(model) is EncoderDecoder and isinstance(model.decode_head, UPerNetHead)
    assert num_params(model) == COUNTS[recipe]


def test_head_layout_follows_mmsegs_upernet():
    head = build_on_meta(cfg("ade20k/upernet_r50_512x512_80k_ade20k_mmseg.yaml")).decode_head
    assert [b[1][0].in_channels for b in head.ppm.branches] == [2048] * 4
    assert [b[0].output_size for b in head.ppm.branches] == [1, 2, 3, 6]
    assert head.bottleneck[0].in_channels == 2048 + 4 * 512 and head.bottleneck[0].kernel_size == (3, 3)
    assert [c[0].in_channels for c in head.lateral_convs] == [256, 512, 1024]
    assert all(c[0].kernel_size == (3, 3) for c in head.fpn_convs) and len(head.fpn_convs) == 3
    assert head.fpn_bottleneck[0].in_channels == 4 * 512 and head.input_norms is None
    assert head.dropout.p == 0.1 and head.classifier.out_channels == 150


DESIGNS = ["resnet", "swin", "convnext", "smp"]


def feature_shapes(channels=(4, 6, 8, 10)):
    return {f"res{i + 2}": ShapeSpec(c, 4 * 2**i) for i, c in enumerate(channels)}


def test_head_sums_top_down_then_fuses_every_level():
    """The forward written out with the head's own modules: each level adds the up-sampled running sum of
    the levels above (not only the level above); the top level skips the fpn conv."""
    torch.manual_seed(0)
    head = UPerNetHead(feature_shapes(), ["res2", "res3", "res4", "res5"], 3, channels=8, dropout=0.0).eval()
    randomize_batchnorm(head)
    feats = {f"res{i + 2}": torch.randn(1, c, s, s) for i, (c, s) in enumerate(zip((4, 6, 8, 10), (17, 9, 5, 3)))}

    def up(x, ref):
        return F.interpolate(x, size=ref.shape[-2:], mode="bilinear", align_corners=False)
    with torch.no_grad():
        top = head.bottleneck(head.ppm(feats["res5"]))
        l4 = head.lateral_convs[2](feats["res4"]) + up(top, feats["res4"])
        l3 = head.lateral_convs[1](feats["res3"]) + up(l4, feats["res3"])
        l2 = head.lateral_convs[0](feats["res2"]) + up(l3, feats["res2"])
        outs = [head.fpn_convs[0](l2), head.fpn_convs[1](l3), head.fpn_convs[2](l4), top]
        expected = head.classifier(head.fpn_bottleneck(torch.cat([outs[0]] + [up(o, outs[0]) for o in outs[1:]], 1)))
        assert torch.equal(head(feats), expected)


def test_head_reads_the_maps_its_node_lists():
    head = build_on_meta(cfg("ade20k/upernet_r50_512x512_80k_ade20k_mmseg.yaml",
                             "MODEL.HEAD.IN_FEATURES", '["res3", "res4", "res5"]')).decode_head
    assert head.in_features == ["res3", "res4", "res5"]
    assert [c[0].in_channels for c in head.lateral_convs] == [512, 1024] and len(head.fpn_convs) == 2
    assert head.fpn_bottleneck[0].in_channels == 3 * 512


def test_head_refuses_missing_or_unordered_maps():
    with pytest.raises(ValueError, match="must name at least two of the maps"):
        UPerNetHead(feature_shapes(), ["res2", "res6"], 3)
    with pytest.raises(ValueError, match="from the finest map to the coarsest, got strides \\[32, 4\\]"):
        UPerNetHead(feature_shapes(), ["res5", "res2"], 3)


@pytest.mark.parametrize("design", DESIGNS)
def test_training_at_odd_sizes_reaches_every_level(design, narrow):
    model = narrow(design).train()
    losses = model(image_batch((65, 97), (47, 71), with_masks=True))
    expected = {"loss_sem_seg"} if design == "smp" else {"loss_sem_seg", "loss_aux"}
    assert set(losses) == expected and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    head = model.decode_head
    assert all(c[0].weight.grad.abs().sum() > 0 for c in [*head.lateral_convs, *head.fpn_convs, head.bottleneck])
    assert all(p.grad is not None for p in model.backbone.parameters() if p.requires_grad)


@pytest.mark.parametrize("design", DESIGNS)
def test_eval_gives_scores_at_each_original_size(design, narrow):
    model = narrow(design).eval()
    with torch.no_grad():
        outputs = model(image_batch((97, 65), (33, 49)))
    assert [tuple(o["sem_seg"].shape) for o in outputs] == [(5, 97, 65), (5, 33, 49)]
    assert all(torch.isfinite(o["sem_seg"]).all() for o in outputs)


@pytest.mark.parametrize("design", ["swin", "convnext", "resnet"])
def test_channels_last_and_bfloat16_give_the_same_predictions_on_cpu(design, narrow):
    model = narrow(design).eval()
    randomize_batchnorm(model)
    images = image_batch((97, 65))
    with torch.no_grad():
        reference = model(images)[0]["sem_seg"]
        channels_last = narrow(design, "MODEL.CHANNELS_LAST", "True").eval()
        channels_last.load_state_dict(model.state_dict())
        torch.testing.assert_close(channels_last(images)[0]["sem_seg"], reference, rtol=1e-4, atol=1e-4)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = model(images)[0]["sem_seg"].float()
    scale = reference.abs().max()
    assert (bf16 - reference).abs().max() / scale < 0.05
    assert (bf16.argmax(0) == reference.argmax(0)).float().mean() > 0.95
