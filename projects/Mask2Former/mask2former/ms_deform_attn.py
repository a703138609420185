"""Multi-scale deformable attention (Zhu et al., "Deformable DETR", ICLR 2021), the pixel decoder's attention.

Each query attends to ``num_points`` locations per head and per level, placed at offsets (predicted from
the query) around its reference point, with softmax weights over all levels' points. The sampling is
bilinear ``grid_sample`` (zeros outside, ``align_corners=False``): the authors' and transformers' PyTorch
fallback, always available. A fused CUDA kernel is used only where one is importable (the authors'
compiled ``MultiScaleDeformableAttention`` extension) and the tensors are on CUDA; both give the same
result up to floating-point summation order.
"""
from __future__ import annotations

import importlib
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

ATTENTION_IMPLS = ("auto", "pytorch", "fused")


def ms_deform_attn_pytorch(
    value: torch.Tensor,
    spatial_shapes: Sequence[Tuple[int, int]],
    sampling_locations: torch.Tensor,
    attention_weights: torch.Tensor,
) -> torch.Tensor:
    """The attention with grid_sample.

    Args:
        value: N x S x heads x head_dim, the levels' maps flattened and concatenated (S = sum h*w).
        spatial_shapes: (h, w) of each level.
        sampling_locations: N x Q x heads x levels x points x 2, (x, y) in [0, 1] of each level.
        attention_weights: N x Q x heads x levels x points, summing to 1 over levels and points.
    Returns:
        N x Q x (heads * head_dim).
    """
    n, _, heads, head_dim = value.shape
    _, queries, _, levels, points, _ = sampling_locations.shape
    values = value.split([h * w for h, w in spatial_shapes], dim=1)
    grids = 2 * sampling_locations - 1
    sampled = []
    for level, (h, w) in enumerate(spatial_shapes):
        # N x hw x heads x d -> (N * heads) x d x h x w
        v = values[level].flatten(2).transpose(1, 2).reshape(n * heads, head_dim, h, w)
        # N x Q x heads x points x 2 -> (N * heads) x Q x points x 2
        grid = grids[:, :, :, level].transpose(1, 2).flatten(0, 1)
        sampled.append(F.grid_sample(v, grid, mode="bilinear", padding_mode="zeros", align_corners=False))
    weights = attention_weights.transpose(1, 2).reshape(n * heads, 1, queries, levels * points)
    out = (torch.stack(sampled, dim=-2).flatten(-2) * weights).sum(-1)
    return out.view(n, heads * head_dim, queries).transpose(1, 2)


def _fused_extension():
    """The authors' compiled kernel module, or None when it is not installed."""
    try:
        return importlib.import_module("MultiScaleDeformableAttention")
    except ImportError:
        return None


class _FusedMSDeformAttn(torch.autograd.Function):
    """The compiled kernel's forward and backward (the authors' ``MSDeformAttnFunction`` interface)."""

    @staticmethod
    def forward(ctx, value, shapes, level_start, locations, weights, im2col_step):  # type: ignore[override]
        ext = _fused_extension()
        ctx.im2col_step = im2col_step
        ctx.save_for_backward(value, shapes, level_start, locations, weights)
        return ext.ms_deform_attn_forward(value, shapes, level_start, locations, weights, im2col_step)

    @staticmethod
    def backward(ctx, grad_output):  # type: ignore[override]
        value, shapes, level_start, locations, weights = ctx.saved_tensors
        grads = _fused_extension().ms_deform_attn_backward(
            value, shapes, level_start, locations, weights, grad_output.contiguous(), ctx.im2col_step
        )
        grad_value, grad_locations, grad_weights = grads
        return grad_value, None, None, grad_locations, grad_weights, None


def ms_deform_attn(
    value: torch.Tensor,
    spatial_shapes: Sequence[Tuple[int, int]],
    sampling_locations: torch.Tensor,
    attention_weights: torch.Tensor,
    impl: str = "auto",
) -> torch.Tensor:
    """:func:`ms_deform_attn_pytorch`, or the fused kernel as ``impl`` says (see ATTENTION_IMPLS)."""
    if impl not in ATTENTION_IMPLS:
        raise ValueError(f"MODEL.PIXEL_DECODER.ATTENTION_IMPL must be one of {ATTENTION_IMPLS}, got {impl!r}")
    fused = impl != "pytorch" and value.is_cuda and _fused_extension() is not None
    if impl == "fused" and not fused:
        raise RuntimeError(
            "MODEL.PIXEL_DECODER.ATTENTION_IMPL fused needs CUDA tensors and the compiled "
            "MultiScaleDeformableAttention extension; use auto or pytorch"
        )
    if not fused:
        return ms_deform_attn_pytorch(value, spatial_shapes, sampling_locations, attention_weights)
    shapes = torch.as_tensor(spatial_shapes, dtype=torch.long, device=value.device)
    level_start = torch.cat((shapes.new_zeros(1), shapes.prod(1).cumsum(0)[:-1]))
    out = _FusedMSDeformAttn.apply(
        value.float(), shapes, level_start, sampling_locations.float(), attention_weights.float(), 64
    )
    return out.to(value.dtype)


class MSDeformAttn(nn.Module):
    """Deformable attention of queries (with their reference points) over the multi-scale ``input``.

    Parameter names are the authors' (``sampling_offsets``, ``attention_weights``, ``value_proj``,
    ``output_proj``).
    """

    def __init__(self, dim: int = 256, num_levels: int = 3, num_heads: int = 8, num_points: int = 4,
                 impl: str = "auto") -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"the pixel decoder's CONV_DIM {dim} must be divisible by NUM_HEADS {num_heads}")
        if impl not in ATTENTION_IMPLS:
            raise ValueError(f"MODEL.PIXEL_DECODER.ATTENTION_IMPL must be one of {ATTENTION_IMPLS}, got {impl!r}")
        self.dim, self.num_levels, self.num_heads, self.num_points = dim, num_levels, num_heads, num_points
        self.impl = impl
        self.sampling_offsets = nn.Linear(dim, num_heads * num_levels * num_points * 2)
        self.attention_weights = nn.Linear(dim, num_heads * num_levels * num_points)
        self.value_proj = nn.Linear(dim, dim)
        self.output_proj = nn.Linear(dim, dim)

    def forward(
        self,
        query: torch.Tensor,
        reference_points: torch.Tensor,
        input: torch.Tensor,
        spatial_shapes: List[Tuple[int, int]],
        padding_mask: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """query: N x Q x dim; reference_points: N x Q x levels x 2 in [0, 1]; input: N x S x dim;
        padding_mask: N x S, True where the input is padding. Returns N x Q x dim."""
        n, q, _ = query.shape
        value = self.value_proj(input)
        if padding_mask is not None:
            value = value.masked_fill(padding_mask[..., None], 0.0)
        value = value.view(n, -1, self.num_heads, self.dim // self.num_heads)
        offsets = self.sampling_offsets(query).view(n, q, self.num_heads, self.num_levels, self.num_points, 2)
        weights = self.attention_weights(query).view(n, q, self.num_heads, self.num_levels * self.num_points)
        weights = weights.softmax(-1).view(n, q, self.num_heads, self.num_levels, self.num_points)
        # offsets are in pixels of each level: (x, y) divided by (w, h)
        normalizer = torch.tensor([[w, h] for h, w in spatial_shapes], dtype=query.dtype, device=query.device)
        locations = reference_points[:, :, None, :, None, :] + offsets / normalizer[None, None, None, :, None, :]
        out = ms_deform_attn(value, spatial_shapes, locations, weights, self.impl)
        return self.output_proj(out)
