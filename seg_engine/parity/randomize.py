"""Random weights that make a parity check see every error.

A reference's own random initialisation is not enough: BatchNorm statistics start at 0 and 1 (a norm mapped onto the
wrong layer, or not at all, changes nothing), and deep nets saturate (RefineNet's logits reach 1e11, where a swapped
channel hides under the rounding). So the BatchNorms get random statistics and affine weights, and every
convolution and linear layer is rescaled, in the order the forward runs them, to unit output variance on one batch.
"""
from __future__ import annotations

from typing import Callable, List

import torch
from torch import nn

from ..utils.testing import randomize_batchnorm

RESCALED = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)

__all__ = ["RESCALED", "randomize_batchnorm", "unit_variance_layers"]


def unit_variance_layers(model: nn.Module, forward: Callable[[], object]) -> List[str]:
    """Run ``forward()`` (the reference on one batch) once while rescaling the weight and bias of each convolution and
    linear layer of ``model`` as it runs, so its output has unit standard deviation (layers that run twice are
    rescaled at their first call; a constant output is left alone). Returns the names of the rescaled layers in the
    order they ran."""
    names = {module: name for name, module in model.named_modules() if isinstance(module, RESCALED)}
    order: List[str] = []

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
    try:
        with torch.no_grad():
            forward()
    finally:
        for handle in handles:
            handle.remove()
    return order
