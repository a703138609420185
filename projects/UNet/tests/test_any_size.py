"""Any H x W in, logits of H x W out, in training and evaluation, for every model of the project."""
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_test_helpers import build  # noqa: E402

from seg_engine_projects.unet.layers import match_skip, mirror_pad  # noqa: E402
from seg_engine_projects.unet.unet import valid_sizes  # noqa: E402

TINY = {
    "Base-UNet-paper.yaml": ["MODEL.UNET_ENCODER.WIDTHS", "[4, 8, 8, 16, 16]"],
    "Base-UNet-mmseg.yaml": ["MODEL.UNET_ENCODER.WIDTHS", "[4, 8, 8, 16, 16]", "MODEL.HEAD.CHANNELS", 4, "MODEL.AUX_HEAD.CHANNELS", 4],
    "Base-UNet-smp.yaml": ["MODEL.RESNETS.DEPTH", 18, "MODEL.RESNETS.BASE_WIDTH", 4, "MODEL.UNET.DECODER_CHANNELS", "[16, 8, 8, 4, 4]"],
    "Base-UNetPlusPlus-smp.yaml": ["MODEL.RESNETS.DEPTH", 18, "MODEL.RESNETS.BASE_WIDTH", 4, "MODEL.UNET.DECODER_CHANNELS", "[16, 8, 8, 4, 4]"],
    "Base-LinkNet-paper.yaml": ["MODEL.RESNETS.DEPTH", 18, "MODEL.RESNETS.BASE_WIDTH", 4, "MODEL.HEAD.CHANNELS", 4],
    "Base-LinkNet-smp.yaml": ["MODEL.RESNETS.DEPTH", 18, "MODEL.RESNETS.BASE_WIDTH", 4],
}


def batch(h, w, classes=3, n=2):
    g = torch.Generator().manual_seed(0)
    return [{"image": torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=g),
             "sem_seg": torch.randint(0, classes, (h, w), generator=g)} for _ in range(n)]


@pytest.mark.parametrize("recipe", sorted(TINY))
def test_odd_sizes_in_training_and_evaluation(recipe):
    torch.manual_seed(0)
    model = build(recipe, "MODEL.NUM_CLASSES", 3, *TINY[recipe])
    losses = model(batch(33, 49))
    assert losses and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    model.eval()
    with torch.no_grad():
        out = model(batch(33, 49, n=1) + batch(30, 47, n=1))
        logits = model.segment(torch.randn(1, 3, 37, 21))
    assert [tuple(o["sem_seg"].shape) for o in out] == [(3, 33, 49), (3, 30, 47)]
    assert tuple(logits["sem_seg"].shape) == (1, 3, 37, 21)


def test_padding_is_cropped_before_the_loss():
    """Padded pixels never reach the loss: a batch padded by the model gives the loss of its own pixels."""
    torch.manual_seed(0)
    model = build("Base-UNet-paper.yaml", "MODEL.NUM_CLASSES", 3, "MODEL.UNET.NORM", "''", *TINY["Base-UNet-paper.yaml"])
    model.train()
    b = batch(33, 49, n=1)
    with torch.no_grad():
        logits = model.segment(model.preprocess_images(b)[0])["sem_seg"]
        loss = model(b)["loss_sem_seg"]
    assert tuple(logits.shape[-2:]) == (33, 49)
    expected = torch.nn.functional.cross_entropy(logits, b[0]["sem_seg"][None])
    assert torch.allclose(loss, expected)


VALID = ("MODEL.META_ARCHITECTURE", "OverlapTileUNet", "MODEL.UNET.PADDING", "valid", "MODEL.UNET.NORM", "''")


def test_valid_convs_follow_the_paper_geometry():
    assert valid_sizes(388, 4, 2, 2) == (572, 388)  # the paper's Fig. 1
    assert valid_sizes(389, 4, 2, 2) == (588, 404)
    model = build("Base-UNet-paper.yaml", "MODEL.NUM_CLASSES", 2, *VALID, *TINY["Base-UNet-paper.yaml"]).eval()
    x = torch.randn(1, 3, 33, 49)
    padded, origin = model.pad_images(x)
    assert tuple(padded.shape[-2:]) == (valid_sizes(33, 4, 2, 2)[0], valid_sizes(49, 4, 2, 2)[0]) and origin == (0, 0)
    top = (padded.shape[-2] - valid_sizes(33, 4, 2, 2)[1]) // 2
    assert top == 92 and torch.equal(padded[..., top : top + 33, top : top + 49], x)
    assert torch.equal(padded[..., top - 1, top : top + 49], x[..., 1, :])  # mirrored, not repeated


def test_overlap_tile_inference_equals_one_pass():
    torch.manual_seed(0)
    model = build("Base-UNet-paper.yaml", "MODEL.NUM_CLASSES", 2, *VALID, *TINY["Base-UNet-paper.yaml"]).eval()
    x = torch.randn(1, 3, 45, 70)
    with torch.no_grad():
        whole = model.segment(x)["sem_seg"]
        model.tile_size = (20, 36)
        tiled = model.segment(x)["sem_seg"]
    assert tiled.shape == whole.shape == (1, 2, 45, 70)
    assert (tiled - whole).abs().max() <= 1e-4 * whole.abs().max()


def test_mirror_pad_beyond_the_size_reflects_again():
    x = torch.arange(3.0).view(1, 1, 1, 3)
    assert mirror_pad(x, 0, 0, 4, 0).flatten().tolist() == [0, 1, 2, 1, 0, 1, 2]


def test_skips_of_other_sizes_are_padded_or_cropped():
    up, skip = torch.ones(1, 1, 4, 6), torch.zeros(1, 1, 5, 7)
    padded = match_skip(up, skip, crop_skip=False)
    assert padded.shape == skip.shape and padded.sum() == 24 and padded[0, 0, -1].sum() == 0  # milesial: diff // 2 = 0 on top
    assert match_skip(up, torch.arange(35.0).view(1, 1, 5, 7), crop_skip=True)[0, 0, 0].tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("key, value, message", [
    ("MODEL.UNET.UPSAMPLE", "cubic", "MODEL.UNET.UPSAMPLE must be one of"),
    ("MODEL.UNET.PADDING", "full", "MODEL.UNET.PADDING must be one of"),
    ("MODEL.UNET.FUSE", "sum", "MODEL.UNET.FUSE must be one of"),
    ("MODEL.UNET.IN_FEATURES", "['enc0', 'res9']", "MODEL.UNET.IN_FEATURES must name"),
    ("MODEL.UNET_HEAD.KERNEL_SIZE", 5, "MODEL.UNET_HEAD.KERNEL_SIZE must be 1 or 3"),
])
def test_bad_switches_name_the_key(key, value, message):
    with pytest.raises(ValueError, match=message):
        build("Base-UNet-paper.yaml", *TINY["Base-UNet-paper.yaml"], key, value, device="meta")


def test_sliding_window_and_flip_protocol_at_odd_sizes():
    torch.manual_seed(0)
    model = build("Base-UNet-smp.yaml", "MODEL.NUM_CLASSES", 3, *TINY["Base-UNet-smp.yaml"], "TEST.MODE", "slide",
                  "TEST.CROP_SIZE", "(24, 40)", "TEST.STRIDE", "(16, 27)", "TEST.FLIP", True).eval()
    with torch.no_grad():
        out = model(batch(33, 49, n=1))
    assert tuple(out[0]["sem_seg"].shape) == (3, 33, 49) and torch.isfinite(out[0]["sem_seg"]).all()
