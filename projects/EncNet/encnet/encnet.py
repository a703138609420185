"""EncNet (Zhang et al., CVPR 2018) and EncNet+JPU (FastFCN, Wu et al. 2019): the composed model plus the SE-loss."""
from __future__ import annotations

from typing import Dict, List

import torch

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder, FCNHead

from .enc_head import EncHead, dropout_layer
from .se_loss import se_loss


@META_ARCH_REGISTRY.register()
class EncNet(EncoderDecoder):
    """Backbone (-> JPU neck) -> EncHead (MODEL.HEAD.NAME "EncHead"), an auxiliary FCN head on res4, and the
    Semantic Encoding loss in training: what EncNet adds to EncoderDecoder.

    ``decode`` adds ``"se"`` (N x C logits of class presence) to the outputs in training, and ``losses`` turns it
    into ``loss_se``.
    """

    def build_heads(self, cfg) -> None:
        """The heads, the SE-loss weight, the authors' dropout type in the FCN auxiliary heads, and the head's
        automatic first conv (MODEL.ENCNET.BOTTLENECK_KERNEL 0: 1x1 on a neck's output as FastFCN, else 3x3)."""
        if cfg.MODEL.ENCNET.BOTTLENECK_KERNEL == 0:
            cfg = cfg.clone()
            cfg.defrost()
            cfg.MODEL.ENCNET.BOTTLENECK_KERNEL = 1 if self.neck is not None else 3
        super().build_heads(cfg)
        if not isinstance(self.decode_head, EncHead):
            raise ValueError(f"EncNet's SE-loss reads the EncHead's encoded vector: MODEL.HEAD.NAME must be EncHead, "
                             f"got {cfg.MODEL.HEAD.NAME} (other heads are EncoderDecoder's)")
        self.loss_weights["se"] = cfg.MODEL.ENCNET.SE_LOSS_WEIGHT
        for module in self.aux_outputs.values():
            head = getattr(self, module)
            if isinstance(head, FCNHead):  # its Dropout2d becomes the authors' dropout type
                head.dropout = dropout_layer(head.dropout.p, cfg.MODEL.ENCNET.DROPOUT_2D)

    def decode(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        logits, se_logits = self.decode_head(features)
        out = {"sem_seg": logits}
        if self.training:
            if se_logits is not None:
                out["se"] = se_logits
            for output, module in self.aux_outputs.items():
                out[output] = getattr(self, module)(features)
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
