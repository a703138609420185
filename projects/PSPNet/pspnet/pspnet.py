"""PSPNet (Zhao et al., CVPR 2017): a dilated ResNet, the pyramid pooling head and an FCN aux head."""
from __future__ import annotations

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder
from seg_engine.modeling.necks import build_jpu


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
        self.neck = build_jpu(cfg.MODEL.PSP, self.backbone.output_shape(), cfg.MODEL.HEAD.NORM, self.align_corners)
        super().build_heads(cfg)
