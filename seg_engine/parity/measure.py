"""How far one model's logits are from a reference's: the measure behind every parity claim here (the converters'
checks, exports, --compare-mmseg), and the verdict each of them applies with its own tolerance."""
from __future__ import annotations

from typing import Any, Dict

import torch

# The converters' standard (tools/check_parity.py, --compare-mmseg): max |diff| at most this share of the largest
# |logit|, and at least this share of the pixels with the same argmax.
LOGIT_TOLERANCE = 1e-4
MIN_ARGMAX_AGREEMENT = 0.999


def logits_difference(output: torch.Tensor, reference: torch.Tensor) -> Dict[str, Any]:
    """max |output - reference|, the largest |logit| of the reference, their ratio and the share of
    pixels with the same argmax (over dim 1, the classes), for two N x C x H x W tensors of one shape."""
    diff = float((output - reference).abs().max())
    largest = float(reference.abs().max())
    return {"max_abs_diff": diff, "max_abs_logit": largest, "relative": diff / max(largest, 1e-12),
            "argmax_agreement": float((output.argmax(1) == reference.argmax(1)).double().mean()),
            "shape": list(output.shape)}


def within(difference: Dict[str, Any], tolerance: float = LOGIT_TOLERANCE,
           min_argmax_agreement: float = MIN_ARGMAX_AGREEMENT) -> bool:
    """Whether a :func:`logits_difference` is at most ``tolerance`` of the largest |logit| with at least
    ``min_argmax_agreement`` of the argmax equal (False for NaN)."""
    return bool(difference["relative"] <= tolerance and difference["argmax_agreement"] >= min_argmax_agreement)
