"""The Semantic Encoding loss: which classes an image contains, predicted from the global encoding."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def class_presence(targets: torch.Tensor, num_classes: int, ignore_value: int) -> torch.Tensor:
    """N x H x W labels -> N x num_classes floats, 1 where the class occurs in the image.

    The authors take ``histc(target, bins=C, min=0, max=C-1) > 0`` per image: labels outside
    0..C-1 (their ignore label -1, padding) count for nothing. Here one scatter does the whole
    batch; ``ignore_value`` is left out even when it lies inside 0..C-1.
    """
    valid = (targets >= 0) & (targets < num_classes) & (targets != ignore_value)
    index = torch.where(valid, targets, torch.full_like(targets, num_classes)).flatten(1)
    presence = torch.zeros(targets.shape[0], num_classes + 1, device=targets.device)
    presence.scatter_(1, index, 1.0)
    return presence[:, :num_classes]


def se_loss(se_logits: torch.Tensor, targets: torch.Tensor, ignore_value: int) -> torch.Tensor:
    """Binary cross-entropy of N x C logits against each image's class presence, averaged over N x C.

    Equal to the authors' ``BCELoss(sigmoid(se_pred), presence)``, computed from the logits for
    stability.
    """
    presence = class_presence(targets, se_logits.shape[1], ignore_value)
    return F.binary_cross_entropy_with_logits(se_logits.float(), presence)
