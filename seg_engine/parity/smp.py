"""segmentation_models_pytorch as a parity reference: the entry of an ``smp_*`` converter, as :mod:`.mmseg` gives
an ``mmseg_*`` one. smp is a reference, not a dependency (``pip install segmentation-models-pytorch``)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import torch
from torch import nn

from .adapters import normalized
from .reference import ParityReference, Requirement, Size

SMP = Requirement(modules=("segmentation_models_pytorch",), install="pip install segmentation-models-pytorch")
MULTIPLES_OF_32 = ((96, 64), (160, 96))  # smp's encoders refuse other sizes (all but its Unet)


def smp_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """smp's forward on ImageNet-normalized images: logits at the input size."""
    return model(normalized(images))


def smp_reference(converter: str, architecture: str, encoder: str, classes: int, *,
                  sizes: Sequence[Size] = MULTIPLES_OF_32,
                  compared: str = "the logits at the input size, at multiples of 32 (smp refuses others)",
                  **kwargs: Any) -> ParityReference:
    """The parity entry of ``converter``: ``segmentation_models_pytorch.<architecture>(encoder, classes=classes)``
    with random weights (``encoder_weights=None``). ``kwargs`` go to :class:`ParityReference` (``opts``, ``notes``)."""

    def build(_root: Optional[str]) -> nn.Module:
        import segmentation_models_pytorch as smp

        return getattr(smp, architecture)(encoder, encoder_weights=None, classes=classes)

    return ParityReference(
        name=converter, converter=converter,
        reference=f"segmentation_models_pytorch.{architecture}({encoder!r}, classes={classes})",
        requires=SMP, build=build, logits=smp_logits, sizes=sizes, compared=compared, **kwargs)
