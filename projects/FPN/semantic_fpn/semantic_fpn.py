"""Semantic FPN: a ResNet, the FPN neck and the semantic branch of Panoptic FPN."""
from __future__ import annotations

from seg_engine.modeling import HEAD_REGISTRY, META_ARCH_REGISTRY, EncoderDecoder, build_head
from seg_engine.modeling.necks import build_fpn


@META_ARCH_REGISTRY.register()
class SemanticFPN(EncoderDecoder):
    """Backbone -> FPN (MODEL.FPN) -> SemSegFPNHead (MODEL.HEAD, MODEL.SEM_SEG_FPN), logits at 1/4.

    The engine up-samples the logits to the (padded) input, which is the head's final x4 when the
    input is padded to a multiple of 32 (MODEL.SIZE_DIVISIBILITY, as detectron2 and smp need), and
    mmsegmentation's resize to the input otherwise. An auxiliary head (MODEL.AUX_HEAD) may read any
    backbone map or pyramid level.
    """

    def build_heads(self, cfg) -> None:
        if cfg.MODEL.HEAD.NAME != "SemSegFPNHead":
            raise ValueError(
                f"SemanticFPN decodes with the semantic FPN head: set MODEL.HEAD.NAME to SemSegFPNHead "
                f"(got {cfg.MODEL.HEAD.NAME!r})"
            )
        self.neck = build_fpn(cfg, self.backbone.output_shape())
        shape = self.head_input_shape()
        self.decode_head = HEAD_REGISTRY.get(cfg.MODEL.HEAD.NAME)(cfg, cfg.MODEL.HEAD, shape)
        self.loss_weights = {"sem_seg": cfg.MODEL.HEAD.LOSS_WEIGHT}
        self.aux_head = None
        if cfg.MODEL.AUX_HEAD.ENABLED:
            self.aux_head = build_head(cfg, cfg.MODEL.AUX_HEAD, shape)
            self.loss_weights["aux"] = cfg.MODEL.AUX_HEAD.LOSS_WEIGHT
