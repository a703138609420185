"""SegNet (Badrinarayanan, Kendall, Cipolla, TPAMI 2017): a VGG encoder whose pools keep their argmax
indices and a mirrored decoder that max-unpools at them."""
from __future__ import annotations

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder


@META_ARCH_REGISTRY.register()
class SegNet(EncoderDecoder):
    """EncoderDecoder on the VGG backbone (MODEL.BACKBONE.NAME "build_vgg_backbone") with the
    SegNetDecoder head (MODEL.HEAD.NAME "SegNetDecoder") and no auxiliary head.

    The decoder's logits are at the input size, so the loss needs no resize; training, losses
    (MODEL.LOSS: the paper's class weights) and inference are EncoderDecoder's.
    """

    def build_heads(self, cfg) -> None:
        expected = (
            ("MODEL.BACKBONE.NAME", cfg.MODEL.BACKBONE.NAME, "build_vgg_backbone"),
            ("MODEL.HEAD.NAME", cfg.MODEL.HEAD.NAME, "SegNetDecoder"),
            ("MODEL.AUX_HEAD.ENABLED", cfg.MODEL.AUX_HEAD.ENABLED, False),
        )
        for key, value, want in expected:
            if value != want:
                raise ValueError(f"SegNet needs {key} {want!r}, got {value!r}")
        super().build_heads(cfg)
