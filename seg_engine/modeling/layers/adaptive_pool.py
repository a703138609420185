"""Adaptive average pooling that exports with a dynamic input size."""
from __future__ import annotations

import torch
import torch.nn.functional as F

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


def exportable_adaptive_avg_pool2d(x: torch.Tensor, bins: int) -> torch.Tensor:
    """``F.adaptive_avg_pool2d(x, bins)`` (square bins); under torch.export (ONNX with ``dynamo=True``,
    .pt2) the same averages by :func:`adaptive_avg_pool2d_by_matmul`. Eager mode, and so training, keeps
    PyTorch's kernel; the two agree to float rounding (about 1e-7)."""
    if _is_exporting():
        return adaptive_avg_pool2d_by_matmul(x, bins)
    return F.adaptive_avg_pool2d(x, bins)
