"""Random weights that make a parity check see every error.

A reference's own random initialisation is not enough: BatchNorm statistics start at 0 and 1, LayerNorm affines at 1
and 0 and most initialisations set biases to 0 (a norm or bias mapped onto the wrong layer, or not at all, changes
nothing), and deep nets saturate (RefineNet's logits reach 1e11, where a swapped channel hides under the rounding).
So the norms get random statistics and affine weights, zero biases random values, and every convolution, linear
layer and attention projection is rescaled, in the order the forward runs them, to unit output variance on one batch.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..utils.testing import randomize_batchnorm

RESCALED = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)

AFFINE_NORMS = (nn.LayerNorm, nn.GroupNorm)

__all__ = ["RESCALED", "randomize_batchnorm", "randomize_norms_and_biases", "unit_variance_layers"]


def randomize_norms_and_biases(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random statistics and affines for every BatchNorm (:func:`randomize_batchnorm`), random affines for every
    LayerNorm and GroupNorm (weight ~ U(0.5, 1.5), bias ~ N(0, 0.1)), and N(0, 0.1) values for every bias of a
    convolution, linear layer or attention projection that is all zeros. Returns ``model``."""
    randomize_batchnorm(model, seed)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, AFFINE_NORMS) and getattr(m, "weight", None) is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            biases = [getattr(m, "bias", None)] if isinstance(m, RESCALED) else []
            if isinstance(m, nn.MultiheadAttention):
                biases = [m.in_proj_bias, m.out_proj.bias]
            for bias in biases:
                if isinstance(bias, torch.Tensor) and not bias.any():
                    bias.copy_(torch.randn(bias.shape, generator=g) * 0.1)
    return model


def _attention_inputs(module: nn.MultiheadAttention, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> List[Any]:
    named = list(args) + [None] * 3
    return [kwargs.get(key, named[i]) for i, key in enumerate(("query", "key", "value"))]


def unit_variance_layers(model: nn.Module, forward: Callable[[], object]) -> List[str]:
    """Run ``forward()`` (the reference on one batch) once while rescaling the weight and bias of each convolution and
    linear layer of ``model`` as it runs, so its output has unit standard deviation (layers that run twice are
    rescaled at their first call; a constant output is left alone). ``nn.MultiheadAttention`` (whose projections are
    not called as modules) gets its query, key and value projections and its output projection rescaled the same
    way. Returns the names of the rescaled layers in the order they ran."""
    attentions = {module: name for name, module in model.named_modules() if isinstance(module, nn.MultiheadAttention)}
    inside = {id(m.out_proj) for m in attentions}
    names = {module: name for name, module in model.named_modules()
             if isinstance(module, RESCALED) and id(module) not in inside}
    order: List[str] = []

    def rescale_projections(module: nn.MultiheadAttention, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
        if attentions[module] in order or module.in_proj_weight is None:
            return
        width = module.embed_dim
        with torch.no_grad():
            for i, tensor in enumerate(_attention_inputs(module, args, kwargs)):
                rows = slice(i * width, (i + 1) * width)
                bias = module.in_proj_bias[rows] if module.in_proj_bias is not None else None
                std = float(F.linear(tensor, module.in_proj_weight[rows], bias).std())
                if std > 0 and torch.isfinite(torch.tensor(std)):
                    module.in_proj_weight[rows] /= std
                    if bias is not None:
                        module.in_proj_bias[rows] /= std

    def rescale_output(module: nn.MultiheadAttention, _args: Any, _kwargs: Any, output: Any):
        if attentions[module] in order:
            return None
        order.append(attentions[module])
        std = float(output[0].detach().float().std())
        if not std > 0 or not torch.isfinite(torch.tensor(std)):
            return None
        with torch.no_grad():
            module.out_proj.weight.div_(std)
            if module.out_proj.bias is not None:
                module.out_proj.bias.div_(std)
        return (output[0] / std, *output[1:])

    def rescale(module: nn.Module, _inputs: object, output: torch.Tensor):
        if names[module] in order or not isinstance(output, torch.Tensor) or output.numel() < 2:
            return None
        std = float(output.detach().float().std())
        if not std > 0 or not torch.isfinite(torch.tensor(std)):
            return None
        with torch.no_grad():
            module.weight.div_(std)
            if module.bias is not None:
                module.bias.div_(std)
        order.append(names[module])
        return output / std

    handles = [module.register_forward_hook(rescale) for module in names]
    for module in attentions:
        handles.append(module.register_forward_pre_hook(rescale_projections, with_kwargs=True))
        handles.append(module.register_forward_hook(rescale_output, with_kwargs=True))
    try:
        with torch.no_grad():
            forward()
    finally:
        for handle in handles:
            handle.remove()
    return order
