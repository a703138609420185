"""EncNet (Zhang et al., CVPR 2018) and EncNet+JPU (FastFCN, Wu et al. 2019) as an EncoderDecoder."""
from __future__ import annotations

from typing import Dict, List

import torch

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder, FCNHead, build_head
from seg_engine.modeling.necks import build_jpu

from .enc_head import EncHead, dropout_layer
from .se_loss import se_loss


@META_ARCH_REGISTRY.register()
class EncNet(EncoderDecoder):
    """Backbone (-> JPU) -> EncHead, an auxiliary FCN head on res4, and the SE-loss in training.

    ``decode`` adds ``"se"`` (N x C logits of class presence) to the outputs in training, and
    ``losses`` turns it into ``loss_se``.
    """

    def build_heads(self, cfg) -> None:
        enc = cfg.MODEL.ENCNET
        shape = self.backbone.output_shape()
        if enc.USE_JPU and enc.LATERAL:
            raise ValueError("MODEL.ENCNET.LATERAL and USE_JPU together are not supported (res3 and res4 "
                             "are at other strides than the JPU output; FastFCN has the same limit)")
        self.neck = build_jpu(enc, shape, cfg.MODEL.HEAD.NORM, self.align_corners)
        shape = self.head_input_shape()
        self.decode_head = EncHead(cfg, cfg.MODEL.HEAD, shape)
        self.loss_weights = {"sem_seg": cfg.MODEL.HEAD.LOSS_WEIGHT, "se": enc.SE_LOSS_WEIGHT}
        self.aux_head = None
        if cfg.MODEL.AUX_HEAD.ENABLED:
            self.aux_head = build_head(cfg, cfg.MODEL.AUX_HEAD, shape)
            if isinstance(self.aux_head, FCNHead):  # its Dropout2d becomes the authors' dropout type
                self.aux_head.dropout = dropout_layer(cfg.MODEL.AUX_HEAD.DROPOUT, enc.DROPOUT_2D)
            self.loss_weights["aux"] = cfg.MODEL.AUX_HEAD.LOSS_WEIGHT

    def decode(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        if self.neck is not None:
            features = self.neck(features)
        logits, se_logits = self.decode_head(features)
        out = {"sem_seg": logits}
        if self.training:
            if se_logits is not None:
                out["se"] = se_logits
            if self.aux_head is not None:
                out["aux"] = self.aux_head(features)
        return out

    def losses(
        self, outputs: Dict[str, torch.Tensor], targets: torch.Tensor, batched_inputs: List[dict]
    ) -> Dict[str, torch.Tensor]:
        """Cross-entropy of the pixel outputs (as EncoderDecoder) plus the weighted SE-loss."""
        pixel_outputs = {name: logits for name, logits in outputs.items() if name != "se"}
        losses = super().losses(pixel_outputs, targets, batched_inputs)
        if "se" in outputs:
            losses["loss_se"] = self.loss_weights["se"] * se_loss(outputs["se"], targets, self.ignore_value)
        return losses
