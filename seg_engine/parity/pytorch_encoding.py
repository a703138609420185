"""zhanghang1989/PyTorch-Encoding imported from a checkout on CPU, without building its extensions.

Its package imports two compiled modules (``encoding.cpu``, and ``encoding.gpu`` where CUDA is visible) and a
``version.py`` that its setup.py writes. The forward of the compared models needs two of the compiled functions,
the Encoding layer's residual aggregation and scaled L2 distance (Zhang et al., "Context Encoding for Semantic
Segmentation", eq. 1-2), written here with tensor operations; every other compiled function is a stand-in that
fails when called (the models run on CPU and in eval mode, where its SyncBatchNorm is a plain BatchNorm).
"""
from __future__ import annotations

import sys
import types

import torch

from .checkout import import_from_checkout, stand_in_module

REPOSITORY = "zhanghang1989/PyTorch-Encoding"
MARKER = "encoding/models/sseg/encnet.py"


def _residuals(features: torch.Tensor, codewords: torch.Tensor) -> torch.Tensor:
    """x_i - c_k for B x N x D features and K x D codewords: B x N x K x D."""
    return features.unsqueeze(2) - codewords.unsqueeze(0).unsqueeze(0)


def aggregate_forward(assignments: torch.Tensor, features: torch.Tensor, codewords: torch.Tensor) -> torch.Tensor:
    """e_k = sum_i a_ik (x_i - c_k): B x K x D."""
    return (assignments.unsqueeze(3) * _residuals(features, codewords)).sum(1)


def scaled_l2_forward(features: torch.Tensor, codewords: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """s_k ||x_i - c_k||^2: B x N x K."""
    return scale.view(1, 1, -1) * _residuals(features, codewords).pow(2).sum(3)


def import_encoding(root: str) -> types.ModuleType:
    """The checkout's ``encoding`` package, its compiled modules and generated version stood in for (once)."""
    if "encoding.cpu" not in sys.modules:
        stand_in_module("encoding.version", __version__="checkout")
        stand_in_module("encoding.cpu", rest_unavailable=True, aggregate_forward=aggregate_forward,
                        scaled_l2_forward=scaled_l2_forward)
        stand_in_module("encoding.gpu", rest_unavailable=True)
        del sys.modules["encoding"]  # the empty parent the stand-ins made; the checkout's package replaces it
    encoding = import_from_checkout(root, "encoding")
    for name in ("version", "cpu", "gpu"):
        setattr(encoding, name, sys.modules[f"encoding.{name}"])
    return encoding


def without_download(module: types.ModuleType, *names: str) -> None:
    """Make each model function ``names`` of ``module`` build without its ImageNet weights (``pretrained=False``),
    whatever its caller asks: the segmentation nets ask for them (a download) when they build their backbone."""
    for name in names:
        original = getattr(module, name)
        if getattr(original, "__parity_no_download__", False):
            continue

        def build(*args, _original=original, **kwargs):
            kwargs["pretrained"] = False
            return _original(*args, **kwargs)

        build.__parity_no_download__ = True
        setattr(module, name, build)
