"""The Context Encoding Module: a global encoding that rescales channels and feeds the SE-loss."""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling.layers import ConvNormAct

from .encoding_layer import Encoding


def code_norm(norm: str, num_codes: int) -> nn.Module:
    """The norm over the K codes of a B x K x D encoding (the authors' norm_layer(ncodes)).

    Their BatchNorm accepts any rank and normalises dim 1, the codes; BatchNorm1d does the same.
    """
    if norm == "BN":
        return nn.BatchNorm1d(num_codes)
    if norm == "SyncBN":
        return nn.SyncBatchNorm(num_codes)
    if norm == "GN":
        # One group per code: per-code statistics like BN's, taken per image.
        return nn.GroupNorm(num_codes, num_codes)
    if not norm:
        return nn.Identity()
    raise ValueError(f"the encoding's norm over codes supports BN, SyncBN, GN or none, got {norm!r}")


class EncModule(nn.Module):
    """x -> relu(x + x * sigmoid(fc(e))) where e is the mean over codes of the encoded x.

    ``e`` (B x C) is returned too: the SE-loss classifier reads it. Layout as PyTorch-Encoding's
    EncModule: 1x1 conv-norm-ReLU, Encoding, norm over codes, ReLU, mean over codes.
    """

    def __init__(self, channels: int, num_codes: int, norm: str = "BN") -> None:
        super().__init__()
        self.projection = ConvNormAct(channels, channels, 1, norm=norm)
        self.encoding = Encoding(channels, num_codes)
        self.code_norm = code_norm(norm, num_codes)
        self.fc = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        encoded = F.relu(self.code_norm(self.encoding(self.projection(x)))).mean(dim=1)
        gamma = torch.sigmoid(self.fc(encoded))
        return F.relu(x + x * gamma[:, :, None, None]), encoded
