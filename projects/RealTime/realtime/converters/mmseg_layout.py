"""Rule pieces shared by the mmsegmentation converters (``seg_engine.checkpoint.rename_keys`` tables).

mmcv's ConvModule names its children ``conv`` and ``bn`` (``conv_norm_act`` here: ``0`` and ``1``); with
order ('norm', 'act', 'conv') they are ``norm_act_conv``'s ``0`` and ``2``. ``auxiliary_head.i`` is module
``aux_head`` (i = 0) or ``aux_head<i+1>`` here.
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

Rule = Tuple[str, str]

# Any remaining ConvModule (conv, norm, act order); keep these last in a table.
CONV_MODULE: List[Rule] = [(r"(.*)\.conv\.", r"\1.0."), (r"(.*)\.bn\.", r"\1.1.")]


def conv_module(theirs: str, ours: str) -> List[Rule]:
    """The ConvModule under ``theirs`` (a regex; its groups may be used in ``ours``) as conv_norm_act ``ours``."""
    return [(rf"{theirs}\.conv\.", rf"{ours}.0."), (rf"{theirs}\.bn\.", rf"{ours}.1.")]


def preact(theirs: str, ours: str) -> List[Rule]:
    """A ConvModule with order ('norm', 'act', 'conv') under ``theirs`` (a regex prefix with one group
    allowed after it) mapped under ``ours``."""
    return [(rf"{theirs}\.bn\.", rf"{ours}.0."), (rf"{theirs}\.conv\.", rf"{ours}.2.")]


def aux_module(index: int) -> str:
    return "aux_head" if index == 0 else f"aux_head{index + 1}"


def fcn_head(theirs: str, ours: str) -> List[Rule]:
    """mmseg's FCNHead (``convs.i.conv/bn``, ``conv_cat``, ``conv_seg``) to the core FCNHead (``convs.i.0/1``,
    ``conv_cat.0/1``, ``classifier``)."""
    return (conv_module(rf"{theirs}\.convs\.(\d+)", rf"{ours}.convs.\1") + conv_module(rf"{theirs}\.conv_cat", f"{ours}.conv_cat")
            + [(rf"{theirs}\.conv_seg\.", rf"{ours}.classifier.")])


def fcn_heads(num_aux: int) -> List[Rule]:
    rules = fcn_head(r"decode_head", "decode_head")
    for i in range(num_aux):
        rules += fcn_head(rf"auxiliary_head\.{i}", aux_module(i))
    return rules


def as_segmentor(state: Dict[str, Any], backbone_prefix: str = "backbone.") -> Dict[str, Any]:
    """A checkpoint of the backbone alone (mmseg's ImageNet inits, loaded into the backbone module) gets the
    prefix its keys have inside the segmentor; a segmentor's checkpoint is returned as it is."""
    if any(k.startswith(("backbone.", "decode_head.", "auxiliary_head.")) for k in state):
        return state
    return {backbone_prefix + k: v for k, v in state.items()}
