"""SE-loss targets: class presence per image as the authors' histc, ignored and padded pixels left out."""
import os

import torch

from seg_engine.plugins import load_plugin

load_plugin(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from seg_engine_projects.encnet.se_loss import class_presence, se_loss  # noqa: E402


def histc_presence(targets, num_classes):
    """The authors' per-image loop (SegmentationLosses._get_batch_label_vector)."""
    rows = [torch.histc(t.float(), bins=num_classes, min=0, max=num_classes - 1) > 0 for t in targets]
    return torch.stack(rows).float()


def test_presence_with_ignored_pixels():
    targets = torch.full((3, 4, 5), 255, dtype=torch.long)
    targets[0, :2, :2] = 0
    targets[0, 3, 4] = 4
    targets[1, 1:, :] = 2  # image 2 is all ignore (e.g. padding)
    presence = class_presence(targets, num_classes=5, ignore_value=255)
    assert presence.tolist() == [[1, 0, 0, 0, 1], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0]]


def test_matches_histc_on_random_labels():
    g = torch.Generator().manual_seed(0)
    targets = torch.randint(0, 12, (4, 17, 13), generator=g)
    targets[targets >= 10] = 255
    targets[2] = 255
    torch.testing.assert_close(class_presence(targets, 10, 255), histc_presence(targets, 10))


def test_ignore_label_inside_class_range_is_left_out():
    targets = torch.tensor([[[0, 1], [3, 3]]])
    assert class_presence(targets, 4, ignore_value=3).tolist() == [[1, 1, 0, 0]]


def test_loss_equals_bce_of_sigmoid():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 6, generator=g)
    targets = torch.randint(0, 6, (2, 8, 8), generator=g)
    targets[:, :3] = 255
    expected = torch.nn.BCELoss()(torch.sigmoid(logits), histc_presence(targets, 6))
    torch.testing.assert_close(se_loss(logits, targets, 255), expected)
