"""Blocks shared by the real-time networks."""
from .attention_refinement import AttentionRefinement
from .context_path import ContextPath
from .conv import norm_act_conv
from .feature_fusion import FeatureFusion
from .pyramid_pooling import DAPPM, PAPPM
from .residual import BasicBlock, Bottleneck, residual_layer

__all__ = [
    "AttentionRefinement",
    "BasicBlock",
    "Bottleneck",
    "ContextPath",
    "DAPPM",
    "FeatureFusion",
    "PAPPM",
    "norm_act_conv",
    "residual_layer",
]
