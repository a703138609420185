"""How far one model's logits are from a reference's: the measure behind every parity claim here
(converters, exports, --compare-mmseg), each with its own tolerance."""
from __future__ import annotations

from typing import Any, Dict

import torch


def logits_difference(output: torch.Tensor, reference: torch.Tensor) -> Dict[str, Any]:
    """max |output - reference|, the largest |logit| of the reference, their ratio and the share of
    pixels with the same argmax (over dim 1, the classes), for two N x C x H x W tensors of one shape."""
    diff = float((output - reference).abs().max())
    largest = float(reference.abs().max())
    return {"max_abs_diff": diff, "max_abs_logit": largest, "relative": diff / max(largest, 1e-12),
            "argmax_agreement": float((output.argmax(1) == reference.argmax(1)).double().mean()),
            "shape": list(output.shape)}
