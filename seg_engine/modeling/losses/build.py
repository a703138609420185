"""WeightedLosses: the losses MODEL.LOSS.NAMES lists, each times its MODEL.LOSS.WEIGHTS entry."""
from __future__ import annotations

import math
import re
from typing import Dict, Optional, Sequence

import torch
from torch import nn

from .base import LOSS_REGISTRY


def loss_term_name(name: str) -> str:
    """A registered loss's name in the log: "CrossEntropy" -> "cross_entropy", "OHEMCrossEntropy" ->
    "ohem_cross_entropy"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def loss_names_requirement(names: Sequence[str]) -> Optional[str]:
    """None when ``names`` is a valid MODEL.LOSS.NAMES, else what it must be (for the one-line error)."""
    registered = ", ".join(repr(name) for name, _ in sorted(LOSS_REGISTRY))
    unknown = [name for name in names if name not in LOSS_REGISTRY]
    if not names or unknown:
        which = f"; {unknown[0]!r} is not one" if unknown else ""
        return f"a list of registered losses ({registered}){which}"
    if len(set(names)) != len(names):
        return "a list that names each loss once"
    return None


def loss_weights_requirement(weights: Sequence[float], names: Sequence[str]) -> Optional[str]:
    """None when ``weights`` fits MODEL.LOSS.NAMES ``names``, else what it must be."""
    numbers = all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) and w >= 0
                  for w in weights)
    if len(weights) != len(names) or not numbers:
        return f"as many numbers >= 0 as MODEL.LOSS.NAMES has names ({len(names)})"
    return None


class WeightedLosses(nn.Module):
    """Named losses, each times its weight: ``forward`` returns one term per loss (by :func:`loss_term_name`),
    already weighted, so a model's loss is their sum."""

    def __init__(self, losses: Dict[str, nn.Module], weights: Sequence[float]) -> None:
        super().__init__()
        self.losses = nn.ModuleDict(losses)
        self.weights = dict(zip(losses, weights))

    @classmethod
    def from_config(cls, cfg) -> dict:
        names, weights = list(cfg.MODEL.LOSS.NAMES), list(cfg.MODEL.LOSS.WEIGHTS)
        for key, value, requirement in (("NAMES", names, loss_names_requirement(names)),
                                        ("WEIGHTS", weights, loss_weights_requirement(weights, names))):
            if requirement is not None:
                raise ValueError(f"MODEL.LOSS.{key} must be {requirement}, got {value!r}")
        losses = {}
        for name in names:
            loss_cls = LOSS_REGISTRY.get(name)
            losses[loss_term_name(name)] = loss_cls(**loss_cls.from_config(cfg))
        return {"losses": losses, "weights": weights}

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> Dict[str, torch.Tensor]:
        return {name: self.weights[name] * loss(logits, targets) for name, loss in self.losses.items()}


def build_losses(cfg) -> WeightedLosses:
    """The weighted losses of MODEL.LOSS (NAMES, WEIGHTS and each loss's node)."""
    return WeightedLosses(**WeightedLosses.from_config(cfg))
