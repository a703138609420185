"""Adaptive average pooling that exports with a dynamic input size."""
from __future__ import annotations

import torch
from torch import nn

# torch.compiler.is_exporting arrived in torch 2.3; before it, exports take PyTorch's kernel.
_is_exporting = getattr(torch.compiler, "is_exporting", lambda: False)


def _pooling_matrix(size: int, bins: int, like: torch.Tensor) -> torch.Tensor:
    """``bins x size``: row i averages the cells of adaptive pooling's i-th window,
    ``[floor(i * size / bins), ceil((i + 1) * size / bins))``, computed from the (symbolic) size."""
    i = torch.arange(bins, device=like.device)
    start = (i * size) // bins
    end = ((i + 1) * size + bins - 1) // bins
    cells = torch.arange(size, device=like.device)
    inside = (cells[None, :] >= start[:, None]) & (cells[None, :] < end[:, None])
    return inside.to(like.dtype) / (end - start)[:, None].to(like.dtype)


def adaptive_avg_pool2d_by_matmul(x: torch.Tensor, bins: int) -> torch.Tensor:
    """``F.adaptive_avg_pool2d(x, bins)`` as two products with pooling matrices. The exporters turn
    adaptive pooling into a fixed-kernel pooling computed at the traced size (wrong at any other
    size); these matrices are computed from the input's size, so a dynamic-size export stays right."""
    rows = _pooling_matrix(x.shape[-2], bins, x)
    cols = _pooling_matrix(x.shape[-1], bins, x)
    return torch.einsum("ih,nchw,jw->ncij", rows, x, cols)


class ExportableAdaptiveAvgPool2d(nn.AdaptiveAvgPool2d):
    """``nn.AdaptiveAvgPool2d(bins)`` (square bins) that, under torch.export (ONNX with ``dynamo=True``,
    .pt2), computes the same averages with :func:`adaptive_avg_pool2d_by_matmul`; in eager mode, and
    so in training, it is PyTorch's own kernel. The two agree to float rounding (about 1e-7)."""

    def __init__(self, bins: int) -> None:
        super().__init__(bins)
        self.bins = bins

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _is_exporting():
            return adaptive_avg_pool2d_by_matmul(x, self.bins)
        return super().forward(x)
