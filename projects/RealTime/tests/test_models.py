"""Every network of the project trains and predicts at odd sizes; the auxiliary heads, their losses and the
padding to the backbone's multiple behave as documented; bad switches name their key."""
import os
import sys

import pytest
import torch
import torch.nn.functional as F

from seg_engine.config import ConfigError, validate_values
from seg_engine.modeling.losses import upsample_logits
from seg_engine.utils.testing import image_batch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realtime_test_helpers import SHAPES, build, make_cfg  # noqa: E402

from seg_engine.modeling.losses import OHEMCrossEntropy  # noqa: E402

LOSSES = {
    "pidnet_shapes.yaml": {"loss_sem_seg", "loss_aux", "loss_aux2_bce", "loss_sem_bd"},
    "ddrnet_shapes.yaml": {"loss_sem_seg", "loss_aux"},
    "bisenetv1_shapes.yaml": {"loss_sem_seg", "loss_aux", "loss_aux2"},
    "bisenetv2_shapes.yaml": {"loss_sem_seg", "loss_aux", "loss_aux2", "loss_aux3", "loss_aux4"},
    "stdc_shapes.yaml": {"loss_sem_seg", "loss_aux", "loss_aux2", "loss_aux3_bce", "loss_aux3_dice"},
    "lraspp_shapes.yaml": {"loss_sem_seg"},
}


@pytest.mark.parametrize("recipe", [r if r == "stdc_shapes.yaml" else pytest.param(r, marks=pytest.mark.slow) for r in SHAPES])
def test_odd_sizes_in_training_and_evaluation(recipe):
    """(Each takes several seconds on a CPU: STDC, whose heads train by their own losses, in the default run; the
    others with -m slow. PIDNet's losses and the padding have fast tests below.)"""
    torch.manual_seed(0)
    model = build(f"shapes/{recipe}")
    losses = model(image_batch((33, 49), (30, 47), with_masks=True, classes=7))
    assert set(losses) == LOSSES[recipe]
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.eval()
    with torch.no_grad():
        out = model(image_batch((33, 49), (30, 47)))
    assert [tuple(o["sem_seg"].shape) for o in out] == [(7, 33, 49), (7, 30, 47)]


@pytest.mark.parametrize("recipe", ["pidnet_shapes.yaml", "ddrnet_shapes.yaml"])
def test_padding_to_a_multiple_of_8_then_cropping(recipe):
    """DDRNet and PIDNet resize to (H // 8, W // 8) inside: any other size is padded with zeros at the bottom and
    right to a multiple of 8, the logits enlarged to the padded size and cropped back."""
    torch.manual_seed(0)
    model = build(f"shapes/{recipe}").eval()
    assert model.input_multiple == 8
    x = torch.randn(1, 3, 33, 49)
    with torch.no_grad():
        logits = model.segment(x)["sem_seg"]
        padded = model.decode(model.backbone(F.pad(x, (0, 7, 0, 7))))["sem_seg"]
    assert logits.shape == (1, 7, 33, 49)
    expected = upsample_logits(padded, (40, 56), model.align_corners)[..., :33, :49]
    assert torch.equal(logits, expected)


def test_aux_heads_run_in_training_only():
    model = build("shapes/bisenetv2_shapes.yaml")
    features = model.backbone(torch.randn(2, 3, 64, 64))
    assert set(model.decode(features)) == {"sem_seg", "aux", "aux2", "aux3", "aux4"}
    model.eval()
    assert set(model.decode(features)) == {"sem_seg"}
    assert [m for m, _ in model.named_children() if m.startswith("aux")] == ["aux_head", "aux_head2", "aux_head3", "aux_head4"]


def test_pidnet_boundary_aware_loss_is_the_decode_heads_ohem_on_confident_edges():
    torch.manual_seed(0)
    model = build("shapes/pidnet_shapes.yaml", "MODEL.REALTIME.BOUNDARY.SEM_THRESHOLD", 0.3)
    batch = image_batch((48, 64), (48, 64), with_masks=True, classes=7)
    images, _ = model.preprocess_images(batch)
    targets = model.preprocess_targets(batch, images.shape[-2:])
    outputs = model.segment(images)
    losses = model.losses(outputs, targets, batch)
    on_edges = torch.where(outputs["aux2"][:, 0].sigmoid() > 0.3, targets, 255)
    assert (on_edges != 255).any()
    # the recipe's OHEM: PIDNet's OhemCrossEntropy (0.9, at least 10,000 of the batch), mean over the kept pixels
    ohem = OHEMCrossEntropy(thresh=0.9, min_kept=10000, per_image=False, average="valid_pixels", align_corners=True)
    expected = ohem(outputs["sem_seg"], on_edges)
    assert torch.allclose(losses["loss_sem_bd"], expected)


def test_aux_align_corners_per_output():
    model = build("shapes/stdc_shapes.yaml")
    assert model.loss_align_corners == {"sem_seg": True, "aux": False, "aux2": False, "aux3": True}
    assert model.aux_head3.align_corners is True


def test_aux_align_corners_is_refused_where_no_meta_architecture_reads_it():
    cfg = make_cfg("shapes/bisenetv1_shapes.yaml", "MODEL.REALTIME.AUX_ALIGN_CORNERS", "[False, True]")
    with pytest.raises(ConfigError, match="MODEL.REALTIME.AUX_ALIGN_CORNERS must be empty with "
                                          "MODEL.META_ARCHITECTURE 'EncoderDecoder'"):
        validate_values(cfg)
    validate_values(make_cfg("shapes/stdc_shapes.yaml"))  # RealTimeSegmentor reads it
    validate_values(make_cfg("shapes/pidnet_shapes.yaml", "MODEL.REALTIME.AUX_ALIGN_CORNERS", "[True, False]"))


@pytest.mark.parametrize("recipe, key, value, message", [
    ("bisenetv1_shapes.yaml", "MODEL.AUX_HEADS", "['AUX_HEAD', 'AUX_HEAD9']", "MODEL.AUX_HEADS names 'AUX_HEAD9'"),
    ("stdc_shapes.yaml", "MODEL.REALTIME.AUX_ALIGN_CORNERS", "[False]", "one entry per MODEL.AUX_HEADS entry"),
    ("bisenetv1_shapes.yaml", "MODEL.AUX_HEAD2.IN_FEATURES", "['res9']", r"MODEL.AUX_HEAD2.IN_FEATURES \['res9'\] must name"),
    ("pidnet_shapes.yaml", "MODEL.AUX_HEAD2.NAME", "PreActSegHead", "needs one auxiliary head named BoundaryHead"),
    ("pidnet_shapes.yaml", "MODEL.PIDNET.NUM_STEM_BLOCKS", 4, "MODEL.PIDNET.NUM_STEM_BLOCKS must be 2"),
    ("bisenetv2_shapes.yaml", "MODEL.BISENETV2.BGA_UPSAMPLE", "bicubic", "MODEL.BISENETV2.BGA_UPSAMPLE must be one of"),
    ("stdc_shapes.yaml", "MODEL.STDC.TYPE", "STDCNet3", "MODEL.STDC.TYPE must be one of"),
    ("bisenetv1_shapes.yaml", "MODEL.RESNETS.OUTPUT_STRIDE", 8, "needs MODEL.RESNETS.OUT_FEATURES res3, res4, res5 at"),
    ("lraspp_shapes.yaml", "MODEL.HEAD.IN_FEATURES", "['res5']", "LRASPPHead reads two maps, the low-level one first"),
])
def test_bad_switches_name_the_key(recipe, key, value, message):
    with pytest.raises(ValueError, match=message):
        build(f"shapes/{recipe}", key, value, device="meta")


def test_authors_switches():
    """PIDNet's authors' stem convs have biases; CoinCheung's BGA enlarges by nearest x4, without pointwise biases."""
    plain = build("shapes/pidnet_shapes.yaml", device="meta")
    biased = build("shapes/pidnet_shapes.yaml", "MODEL.PIDNET.STEM_BIAS", True, device="meta")
    assert plain.backbone.stem[0][0].bias is None and biased.backbone.stem[1][0].bias.shape == (8,)
    torch.manual_seed(0)
    model = build("shapes/bisenetv2_shapes.yaml", "MODEL.BISENETV2.BGA_UPSAMPLE", "nearest",
                  "MODEL.BISENETV2.BGA_POINTWISE_BIAS", False).eval()
    assert model.backbone.bga.detail_dwconv[1].bias is None
    with torch.no_grad():
        assert model.segment(torch.randn(1, 3, 64, 96))["sem_seg"].shape == (1, 7, 8, 12)
