"""RefineNet (Lin et al., CVPR 2017) and Light-Weight RefineNet (Nekrasov et al., BMVC 2018)."""
from __future__ import annotations

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder


@META_ARCH_REGISTRY.register()
class RefineNet(EncoderDecoder):
    """EncoderDecoder whose decode head must be the RefineNetHead (MODEL.HEAD.NAME "RefineNetHead").

    The backbone is a plain ResNet at output stride 32 with torchvision's 7x7 stem, so torchvision's
    ImageNet weights load unchanged. The head gives logits at stride 4; training and inference
    upsample them to the input (bilinear, MODEL.ALIGN_CORNERS) as EncoderDecoder does. Both models
    are this class: Light-Weight RefineNet is MODEL.REFINENET with 1x1 convs and no RCUs.
    """

    def build_heads(self, cfg) -> None:
        if cfg.MODEL.HEAD.NAME != "RefineNetHead":
            raise ValueError(
                f"RefineNet decodes with its own head: set MODEL.HEAD.NAME to RefineNetHead "
                f"(got {cfg.MODEL.HEAD.NAME!r})"
            )
        if cfg.MODEL.AUX_HEAD.ENABLED:
            raise ValueError("RefineNet has no auxiliary head: set MODEL.AUX_HEAD.ENABLED to False")
        super().build_heads(cfg)
