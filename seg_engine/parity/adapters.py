"""Small pieces the reference adapters share: a reference's own input normalization, the output of one of its
modules, its logits brought to the input size the way its own code does, and its checkpoint layouts."""
from __future__ import annotations

from typing import Any, Dict, Sequence

import torch
import torch.nn.functional as F
from torch import nn

IMAGENET_MEAN = (123.675, 116.28, 103.53)  # RGB, 0..255: torchvision's, mmsegmentation's and most authors'
IMAGENET_STD = (58.395, 57.12, 57.375)


def normalized(images: torch.Tensor, mean: Sequence[float] = IMAGENET_MEAN,
               std: Sequence[float] = IMAGENET_STD) -> torch.Tensor:
    """Raw RGB ``images`` (0..255) minus ``mean``, divided by ``std`` (both per channel, 0..255)."""
    shape = (1, -1, 1, 1)
    return (images - images.new_tensor(mean).view(shape)) / images.new_tensor(std).view(shape)


class _Reached(Exception):
    """Raised by the hook of :func:`module_output` to end the forward once the module has run."""


def module_output(model: nn.Module, module: str, *inputs: Any) -> torch.Tensor:
    """What the submodule named ``module`` (e.g. ``"layer4"``) returns when ``model(*inputs)`` runs it; the rest of
    the forward is not run (a backbone's map inside a classifier whose pooling needs a larger input)."""
    found = []

    def reached(_module: nn.Module, _inputs: Any, output: torch.Tensor) -> None:
        found.append(output)
        raise _Reached

    handle = model.get_submodule(module).register_forward_hook(reached)
    try:
        model(*inputs)
    except _Reached:
        pass
    finally:
        handle.remove()
    if not found:
        raise RuntimeError(f"the reference's {module} did not run in its forward")
    return found[0]


def resized(logits: torch.Tensor, size: Sequence[int], align_corners: bool) -> torch.Tensor:
    """Logits resized bilinearly to ``size`` (the references that upsample outside the model: their test scripts)."""
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(logits, size=tuple(size), mode="bilinear", align_corners=align_corners)


def data_parallel_file(model: nn.Module) -> Dict[str, Any]:
    """``{"state_dict": {"module." + key: ...}}``: a training script's checkpoint of a model in DataParallel."""
    return {"state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}
