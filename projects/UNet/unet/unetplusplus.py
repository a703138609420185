"""UNet++ (Zhou et al., DLMIA 2018 / TMI 2020): an encoder, nested dense skip pathways, deep supervision."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder

from .nested_decoder import NestedDecoder

DEEP_SUPERVISION_MODES = ("none", "accurate", "fast")


@META_ARCH_REGISTRY.register()
class UNetPlusPlus(EncoderDecoder):
    """UNet++'s deep supervision, what it adds to EncoderDecoder with the ``NestedDecoder`` neck.

    Without deep supervision (MODEL.UNETPP.DEEP_SUPERVISION "none") it is EncoderDecoder: MODEL.HEAD reads the
    decoder's last output (smp's UnetPlusPlus). With it, ``ds_heads.{j-1}`` (1x1 convs) read X(0, j), j = 1..D;
    the training loss is the mean of their losses; inference averages them ("accurate") or computes only the
    columns up to X(0, PRUNE_COLUMN) and uses its head alone ("fast", the pruned network).
    """

    def build_heads(self, cfg) -> None:
        p = cfg.MODEL.UNETPP
        if p.DEEP_SUPERVISION not in DEEP_SUPERVISION_MODES:
            raise ValueError(
                f"MODEL.UNETPP.DEEP_SUPERVISION must be one of {DEEP_SUPERVISION_MODES}, got {p.DEEP_SUPERVISION!r}"
            )
        if not isinstance(self.neck, NestedDecoder):
            raise ValueError(f"UNetPlusPlus supervises the nodes of MODEL.NECK.NAME NestedDecoder, got "
                             f"{cfg.MODEL.NECK.NAME!r}")
        depth = self.neck.depth
        if not 1 <= p.PRUNE_COLUMN <= depth:
            raise ValueError(f"MODEL.UNETPP.PRUNE_COLUMN must be in 1..{depth}, got {p.PRUNE_COLUMN!r}")
        self.deep_supervision = p.DEEP_SUPERVISION
        self.prune_column = p.PRUNE_COLUMN
        if self.deep_supervision == "none":
            super().build_heads(cfg)
            return
        shapes = self.head_input_shape()
        self.decode_head = None
        self.aux_outputs = {}
        self.ds_heads = nn.ModuleList(
            nn.Conv2d(shapes[f"x_0_{j}"].channels, cfg.MODEL.NUM_CLASSES, 1) for j in range(1, depth + 1)
        )
        self.loss_weights = {f"ds{j}": cfg.MODEL.HEAD.LOSS_WEIGHT / depth for j in range(1, depth + 1)}

    def _fast_inference(self) -> bool:
        return self.deep_supervision == "fast" and not self.training

    def extract_features(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        if not self._fast_inference():
            return super().extract_features(images)
        return self.neck(self.backbone(images), images.shape[-2:], columns=self.prune_column)

    def decode(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        if self.deep_supervision == "none":
            return super().decode(features)
        if self._fast_inference():
            return {"sem_seg": self.ds_heads[self.prune_column - 1](features[f"x_0_{self.prune_column}"])}
        logits = {f"ds{j + 1}": head(features[f"x_0_{j + 1}"]) for j, head in enumerate(self.ds_heads)}
        if self.training:
            return logits
        return {"sem_seg": torch.stack(list(logits.values())).mean(0)}
