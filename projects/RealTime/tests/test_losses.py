"""The recipes' losses against mmsegmentation 1.2.2's implementations: the expected values were computed by mmseg
(``OhemCrossEntropy``, ``OHEMPixelSampler`` + ``CrossEntropyLoss``, ``GenerateEdge`` + ``BoundaryLoss``,
``STDCHead.loss_by_feat``) on the tensors ``inputs()`` builds (outside the repo, the same torch). OHEM and the
class-weighted cross-entropy are the core's losses as the recipes configure them."""
import os
import sys

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seg_engine.modeling.losses import CrossEntropy, OHEMCrossEntropy, upsample_logits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import realtime_test_helpers  # noqa: E402,F401  (loads the project)

from seg_engine_projects.realtime.losses import (  # noqa: E402
    boundary_loss,
    boundary_targets,
    detail_losses,
    detail_targets,
)


def pidnet_ohem(thresh, min_kept, class_weights=None):
    """The PIDNet and DDRNet recipes' MODEL.LOSS: PIDNet's OhemCrossEntropy."""
    return OHEMCrossEntropy(thresh=thresh, min_kept=min_kept, per_image=False, average="valid_pixels",
                            class_weights=class_weights)


def sampler_ohem(thresh, min_kept):
    """The STDC and BiSeNetV2-OHEM recipes' MODEL.LOSS: OHEMPixelSampler, then CrossEntropyLoss over every pixel."""
    return OHEMCrossEntropy(thresh=thresh, min_kept=min_kept, per_image=True, average="all")


def inputs():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 5, 17, 23, generator=g) * 2
    targets = torch.randint(0, 5, (2, 17, 23), generator=g)
    targets[:, :3, :] = 255
    targets[0, 5:9, 4:15] = 2
    boundary = torch.randn(2, 1, 17, 23, generator=g) * 3
    detail = torch.randn(2, 2, 9, 12, generator=g)
    weights = torch.tensor([0.8, 1.0, 1.2, 0.9, 1.1])
    return logits, targets, boundary, detail, weights


def test_pidnet_ohem_cross_entropy():
    logits, targets, _, _, weights = inputs()
    assert pidnet_ohem(0.7, 100, weights)(logits, targets).item() == pytest.approx(3.013988971710205, rel=1e-6)
    # min_kept above the pixels under the threshold: the 300th smallest probability sets it
    assert pidnet_ohem(0.1, 300)(logits, targets).item() == pytest.approx(4.161310195922852, rel=1e-6)


def test_ohem_pixel_sampler_and_its_loss():
    logits, targets, _, _, _ = inputs()
    assert sampler_ohem(0.7, 100).hard_pixels(logits, targets).sum().item() == 595
    assert sampler_ohem(0.7, 100)(logits, targets).item() == pytest.approx(2.259474039077759, rel=1e-6)
    assert sampler_ohem(0.05, 200).hard_pixels(logits, targets).sum().item() == 400  # min_kept x batch = 400 kept


def test_ohem_keeps_nothing_of_an_all_ignored_batch_without_nan():
    logits, targets, _, _, _ = inputs()
    ignored = torch.full_like(targets, 255)
    assert sampler_ohem(0.7, 100).hard_pixels(logits, ignored).sum() == 0
    loss = pidnet_ohem(0.7, 100)(logits.requires_grad_(), ignored)
    loss.backward()
    assert loss.item() == 0 and torch.isfinite(logits.grad).all()


def test_class_weighted_cross_entropy_without_ignored_pixels_is_the_weighted_mean():
    """mmseg's weighted CrossEntropyLoss divides by the labels' weights (2.7406725883483887); with ignored pixels
    it raises (mmseg#3734), hence the weighted mean over the valid pixels for PIDNet's P head."""
    logits, targets, _, _, weights = inputs()
    labels = torch.where(targets == 255, 0, targets)
    loss = CrossEntropy(average="valid", class_weights=weights)(logits, labels)
    assert loss.item() == pytest.approx(2.7406725883483887, rel=1e-6)


def test_boundary_targets_and_loss():
    _, targets, boundary, _, _ = inputs()
    edges = boundary_targets(targets, 255, 4)
    assert edges.sum().item() == 690
    assert boundary_loss(boundary, edges).item() == pytest.approx(0.28217968344688416, rel=1e-6)


@pytest.mark.parametrize("width", [3, 4])
def test_boundary_dilation_is_opencvs(width):
    """One edge pixel dilated by the max pool as cv2.dilate with a square kernel and its default anchor."""
    t = torch.zeros(1, 11, 13, dtype=torch.long)
    t[0, 6:, :] = 1  # one horizontal boundary: rows 6 (class change from above) marked
    edges = boundary_targets(t, 255, width)[0].numpy()
    raw = np.zeros((11, 13), np.uint8)
    raw[6, :] = 1
    raw[5, :] = 1  # the diagonal rules mark the row above too
    expected = cv2.dilate(raw, cv2.getStructuringElement(cv2.MORPH_RECT, (width, width)))
    assert (edges == expected).all()


def test_stdc_detail_targets_and_losses():
    _, targets, _, detail, _ = inputs()
    losses = detail_losses(upsample_logits(detail, targets.shape[-2:], True), detail_targets(targets, 0.1))
    assert losses["bce"].item() == pytest.approx(0.7849224805831909, rel=1e-6)
    assert losses["dice"].item() == pytest.approx(0.3717900514602661, rel=1e-6)


def test_losses_make_no_host_round_trip():
    """No .item()/nonzero (checked with a sync-debug mode on CUDA where available; the core tests its OHEM)."""
    logits, targets, boundary, detail, weights = inputs()
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA to detect synchronisations")
    logits, targets, boundary, weights = (x.cuda() for x in (logits, targets, boundary, weights))
    torch.cuda.set_sync_debug_mode("error")
    try:
        boundary_loss(boundary, boundary_targets(targets, 255, 4))
        detail_losses(F.interpolate(detail.cuda(), size=targets.shape[-2:]), detail_targets(targets))
    finally:
        torch.cuda.set_sync_debug_mode("default")
