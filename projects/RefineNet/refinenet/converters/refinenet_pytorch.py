"""DrSleep/refinenet-pytorch's RefineNet-101 (a port of the authors' MATLAB model and their VOC weights).

Their keys: a torchvision ResNet (``conv1``, ``bn1``, ``layer1..4``) and the MATLAB-derived decoder
names, block N counted from the coarsest (N=1 reads layer4): ``p_ims1d2_outlN_dimred`` (adaptation
conv), ``adapt_stageN_b.0.{i}_conv`` / ``{i}_conv_relu_varout_dimred`` (RCU i's two convs),
``adapt_stageN_b2_joint_varout_dimred`` (the fusion conv of this path), ``mflow_conv_gN_pool.0.{i}_outvar_dimred``
(CRP stage i), ``mflow_conv_gN_b.0.{i}_conv...`` (output RCUs), ``mflow_conv_gN_b3_joint_varout_dimred``
(block N's output conv, the coarse side of block N+1's fusion) and ``clf_conv``.
"""
from __future__ import annotations

from typing import Any, Dict

from seg_engine.checkpoint import WEIGHT_CONVERTERS, rename_keys

BACKBONE_RULES = [
    (r"^(conv1|bn1|layer[1-4])\.", r"backbone.\1."),
]

# Shared by Light-Weight RefineNet, whose names are these minus the RCUs.
PATH_RULES = [
    (r"^p_ims1d2_outl(\d)_dimred\.", r"decode_head.blocks.<\1>.adapt."),
    (r"^adapt_stage(\d)_b2_joint_varout_dimred\.", r"decode_head.blocks.<\1>.fusion.fine_conv."),
    # Block N's output conv is the coarse side of block N+1's fusion: gN -> blocks.N, counted from 0.
    (r"^mflow_conv_g(\d)_b3_joint_varout_dimred\.", r"decode_head.blocks.\1.fusion.coarse_conv."),
    (r"^mflow_conv_g(\d)_pool\.0\.(\d+)_outvar_dimred\.", r"decode_head.blocks.<\1>.crp.convs.<\2>."),
    (r"^clf_conv\.", "decode_head.classifier."),
]

RCU_RULES = [
    (r"^adapt_stage(\d)_b\.0\.(\d+)_conv\.", r"decode_head.blocks.<\1>.adapt_rcus.<\2>.conv1."),
    (r"^adapt_stage(\d)_b\.0\.(\d+)_conv_relu_varout_dimred\.", r"decode_head.blocks.<\1>.adapt_rcus.<\2>.conv2."),
    (r"^mflow_conv_g(\d)_b\.0\.(\d+)_conv\.", r"decode_head.blocks.<\1>.output_rcus.<\2>.conv1."),
    (r"^mflow_conv_g(\d)_b\.0\.(\d+)_conv_relu_varout_dimred\.", r"decode_head.blocks.<\1>.output_rcus.<\2>.conv2."),
]


@WEIGHT_CONVERTERS.register()
def refinenet_pytorch(state_dict: Dict[str, Any]) -> Dict[str, Any]:
    """For the Base-RefineNet.yaml models (torchvision-layout ResNet, 4-stage CRP, 2 + 3 RCUs per block).
    Every key renamed; a key of another layout is an error (see :func:`rename_keys`)."""
    return rename_keys(state_dict, BACKBONE_RULES + PATH_RULES + RCU_RULES)
