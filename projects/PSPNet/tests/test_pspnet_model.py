"""PSPNet's structure: the authors' parameter count, the PPM widths, train and eval outputs."""
import logging
import os

import pytest
import torch

from seg_engine.modeling import build_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, image_batch, load_config, num_params

load_plugin(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

BASE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs", "Base-PSPNet.yaml")


def pspnet_cfg(*opts):
    return load_config(BASE, "MODEL.DEVICE", "cpu", *opts)


def test_resnet50_has_the_authors_parameter_count():
    """49,180,908 as hszhao/semseg's PSPNet(layers=50, classes=150), auxiliary head included."""
    model = build_on_meta(pspnet_cfg("MODEL.NUM_CLASSES", "150"))
    assert num_params(model) == 49_180_908
    ppm = model.decode_head.ppm
    assert [b[0].output_size for b in ppm.branches] == [1, 2, 3, 6]
    assert [b[1][0].out_channels for b in ppm.branches] == [512] * 4
    assert model.decode_head.bottleneck[0].in_channels == 4096
    assert model.aux_head.convs[0][0].in_channels == 1024
    # The authors' "full" dilation: every block of res4 at 2 and of res5 at 4.
    assert {b.conv2.dilation for b in model.backbone.layer3} == {(2, 2)}
    assert {b.conv2.dilation for b in model.backbone.layer4} == {(4, 4)}


def test_mmseg_variant_has_the_narrow_stem_and_half_dilation():
    model = build_on_meta(pspnet_cfg("MODEL.NUM_CLASSES", "150", "MODEL.RESNETS.STEM_WIDTH", "32",
                                     "MODEL.RESNETS.FIRST_BLOCK_DILATION", "half", "MODEL.ALIGN_CORNERS", "False"))
    stem = model.backbone
    assert [stem.conv1.out_channels, stem.conv2.out_channels, stem.conv3.out_channels] == [32, 32, 64]
    assert num_params(model) == 49_180_908 - 104_544  # 64-64-128 stem -> 32-32-64 and layer1's inputs
    assert [b.conv2.dilation[0] for b in model.backbone.layer4] == [2, 4, 4]
    assert model.decode_head.ppm.align_corners is False


def test_reduction_width_follows_the_input_channels():
    cfg = pspnet_cfg("MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "16", "MODEL.HEAD.CHANNELS", "64")
    model = build_model(cfg)
    branches = model.decode_head.ppm.branches
    assert [b[1][0].in_channels for b in branches] == [128] * 4
    assert [b[1][0].out_channels for b in branches] == [32] * 4
    assert model.decode_head.bottleneck[0].in_channels == 256
    fixed = build_model(pspnet_cfg("MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "16",
                                   "MODEL.PSP.REDUCTION_CHANNELS", "8"))
    assert fixed.decode_head.bottleneck[0].in_channels == 128 + 4 * 8


def test_configs_of_earlier_versions_load_as_the_composed_model(tmp_path, caplog):
    """A run's config.yaml written before PSPNet was a composition: the PSPNet meta-architecture, USE_JPU in
    MODEL.PSP, one IN_FEATURE per head and AUX_HEAD.ENABLED."""
    old = tmp_path / "config.yaml"
    old.write_text(
        "MODEL:\n  META_ARCHITECTURE: PSPNet\n  AUX_HEAD:\n    ENABLED: true\n    IN_FEATURE: res3\n"
        "  HEAD:\n    IN_FEATURE: res5\n    NAME: PPMHead\n  PSP:\n    JPU_WIDTH: 8\n    USE_JPU: true\n"
    )
    with caplog.at_level(logging.WARNING):
        cfg = load_config(str(old))
    assert cfg.MODEL.META_ARCHITECTURE == "EncoderDecoder" and list(cfg.MODEL.AUX_HEADS) == ["AUX_HEAD"]
    assert (cfg.MODEL.NECK.NAME, cfg.MODEL.JPU.WIDTH) == ("JPU", 8)
    assert list(cfg.MODEL.HEAD.IN_FEATURES) == ["res5"] and list(cfg.MODEL.AUX_HEAD.IN_FEATURES) == ["res3"]
    deprecations = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
    assert any("MODEL.META_ARCHITECTURE 'PSPNet' is deprecated, read as MODEL.META_ARCHITECTURE 'EncoderDecoder'" in m
               for m in deprecations)
    assert len(deprecations) == 6 and all(str(old) in m for m in deprecations)


def narrow_model():
    torch.manual_seed(0)
    return build_model(pspnet_cfg(
        "MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
        "MODEL.HEAD.CHANNELS", "16",
        "MODEL.AUX_HEAD.CHANNELS", "8",
    ))


def test_training_returns_the_weighted_losses():
    model = narrow_model().train()
    losses = model(image_batch((65, 65), (47, 71), with_masks=True))
    assert set(losses) == {"loss_sem_seg", "loss_aux"}
    assert all(torch.isfinite(v) and v.ndim == 0 for v in losses.values())
    sum(losses.values()).backward()
    assert model.decode_head.ppm.branches[3][1][0].weight.grad.abs().sum() > 0


def test_eval_gives_scores_at_each_original_size():
    model = narrow_model().eval()
    with torch.no_grad():
        outputs = model(image_batch((65, 65), (47, 71)))
    assert [tuple(o["sem_seg"].shape) for o in outputs] == [(5, 65, 65), (5, 47, 71)]
    assert all(torch.isfinite(o["sem_seg"]).all() for o in outputs)
