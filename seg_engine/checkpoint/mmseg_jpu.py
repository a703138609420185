"""mmsegmentation's JPU neck (FastFCN) to seg_engine's ``JPU``: shared by the projects that put a head on it.

mmsegmentation concatenates the JPU's input maps shallowest first, FastFCN (and ``JPU`` here) deepest
first, so besides the renaming the branches' depthwise conv, its norm and the pointwise conv's input
channels are reordered block by block, which gives the same function.
"""
from __future__ import annotations

from typing import Any, Dict, List

import torch

from .converters import Rule, rename_keys

MMSEG_JPU_RULES: List[Rule] = [
    (r"neck\.conv_layers\.(\d+)\.0\.conv\.", r"neck.convs.\1.0."),
    (r"neck\.conv_layers\.(\d+)\.0\.bn\.", r"neck.convs.\1.1."),
    (r"neck\.dilation_layers\.(\d+)\.0\.depthwise_conv\.conv\.", r"neck.branches.\1.conv_dw."),
    (r"neck\.dilation_layers\.(\d+)\.0\.depthwise_conv\.bn\.", r"neck.branches.\1.bn_dw."),
    (r"neck\.dilation_layers\.(\d+)\.0\.pointwise_conv\.conv\.", r"neck.branches.\1.conv_pw."),
    (r"neck\.dilation_layers\.(\d+)\.0\.pointwise_conv\.bn\.", r"neck.branches.\1.bn_pw."),
]


def reverse_jpu_concat(state: Dict[str, Any]) -> Dict[str, Any]:
    """Reorder the channel blocks of converted ``neck.branches.*`` weights to the deepest-first concat."""
    num_inputs = len({k.split(".")[2] for k in state if k.startswith("neck.convs.")})
    out = dict(state)
    for key, value in state.items():
        if not key.startswith("neck.branches.") or value.ndim == 0:
            continue
        dim = 1 if ".conv_pw." in key else 0 if (".conv_dw." in key or ".bn_dw." in key) else None
        if dim is not None:
            out[key] = torch.cat(torch.chunk(value, num_inputs, dim=dim)[::-1], dim=dim)
    return out


def convert_mmseg_jpu(state: Dict[str, Any]) -> Dict[str, Any]:
    """The ``neck.*`` keys of an mmsegmentation checkpoint, renamed and reordered for ``JPU``."""
    return reverse_jpu_concat(rename_keys(state, MMSEG_JPU_RULES))
