"""PSPNet (Zhao et al., CVPR 2017): a dilated ResNet, the pyramid pooling head and an FCN aux head."""
from __future__ import annotations

from typing import Dict

import torch

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder, build_head
from seg_engine.modeling.necks import JPU

JPU_FEATURES = ("res3", "res4", "res5")


@META_ARCH_REGISTRY.register()
class PSPNet(EncoderDecoder):
    """EncoderDecoder whose decode head must be the PPMHead (MODEL.HEAD.NAME "PPMHead").

    The auxiliary head is MODEL.AUX_HEAD (the authors': FCNHead on res4, 256 channels, weight 0.4).
    With MODEL.PSP.USE_JPU a JPU neck (FastFCN) sits between the backbone and both heads.
    Training, losses and inference are EncoderDecoder's.
    """

    def build_heads(self, cfg) -> None:
        if cfg.MODEL.HEAD.NAME != "PPMHead":
            raise ValueError(
                f"PSPNet decodes with the pyramid pooling head: set MODEL.HEAD.NAME to PPMHead "
                f"(got {cfg.MODEL.HEAD.NAME!r})"
            )
        psp = cfg.MODEL.PSP
        self.neck = None
        if not psp.USE_JPU:
            super().build_heads(cfg)
            return
        self.neck = JPU(self.backbone.output_shape(), JPU_FEATURES, psp.JPU_WIDTH, psp.JPU_DILATIONS,
                        cfg.MODEL.HEAD.NORM, self.align_corners)
        shape = self.neck.output_shape()
        self.decode_head = build_head(cfg, cfg.MODEL.HEAD, shape)
        self.loss_weights = {"sem_seg": cfg.MODEL.HEAD.LOSS_WEIGHT}
        self.aux_head = None
        if cfg.MODEL.AUX_HEAD.ENABLED:
            self.aux_head = build_head(cfg, cfg.MODEL.AUX_HEAD, shape)
            self.loss_weights["aux"] = cfg.MODEL.AUX_HEAD.LOSS_WEIGHT

    def decode(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        return super().decode(self.neck(features) if self.neck is not None else features)
