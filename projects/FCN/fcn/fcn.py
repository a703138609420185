"""FCN (Long, Shelhamer, Darrell, CVPR 2015 / PAMI 2016): VGG-16 made fully convolutional, with skips."""
from __future__ import annotations

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder


@META_ARCH_REGISTRY.register()
class FCN(EncoderDecoder):
    """EncoderDecoder over the VGG backbone (conv1_1 padded by 100, ceil-mode pools, fc6/fc7 as convs)
    whose decode head is the FCNSkipHead; its logits already have the input's size.

    The dilated-ResNet "FCN" of torchvision and mmsegmentation is the built-in EncoderDecoder with the
    core FCNHead, not this class (see the project README).
    """

    def build_heads(self, cfg) -> None:
        if cfg.MODEL.HEAD.NAME != "FCNSkipHead":
            raise ValueError(
                f"FCN decodes with the skip head: set MODEL.HEAD.NAME to FCNSkipHead (got {cfg.MODEL.HEAD.NAME!r})"
            )
        if cfg.MODEL.BACKBONE.NAME != "build_vgg_backbone":
            raise ValueError(
                "FCN is built on VGG: set MODEL.BACKBONE.NAME to build_vgg_backbone "
                f"(got {cfg.MODEL.BACKBONE.NAME!r})"
            )
        super().build_heads(cfg)
