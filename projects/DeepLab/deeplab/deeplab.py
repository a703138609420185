"""DeepLab's evaluation at another output stride than training: the one behaviour DeepLab adds to EncoderDecoder."""
from __future__ import annotations

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder

OUTPUT_STRIDES = (8, 16, 32)


@META_ARCH_REGISTRY.register()
class DeepLabV3(EncoderDecoder):
    """EncoderDecoder whose ``eval()`` can re-dilate the backbone: DeepLabv3 (MODEL.HEAD.NAME "ASPPHead") and
    DeepLabv3+ ("DeepLabV3PlusHead") alike.

    MODEL.DEEPLAB.TEST_OUTPUT_STRIDE: ``eval()`` calls the backbone's ``set_output_stride`` and scales the decode
    head's ASPP rates by training stride / test stride (train at 16 with 6, 12, 18, evaluate at 8 with 12, 24, 36,
    as the paper); ``train()`` restores both. The weights are the same at either stride.
    """

    def build_heads(self, cfg) -> None:
        super().build_heads(cfg)
        self.neck_config_name = cfg.MODEL.NECK.NAME
        (feature,) = cfg.MODEL.HEAD.IN_FEATURES[:1]
        self.train_output_stride = self.head_input_shape()[feature].stride
        self.test_output_stride = cfg.MODEL.DEEPLAB.TEST_OUTPUT_STRIDE or self.train_output_stride
        self._check_test_output_stride()
        self._output_stride = self.train_output_stride

    def _check_test_output_stride(self) -> None:
        test, train = self.test_output_stride, self.train_output_stride
        if test == train:
            return
        key = f"MODEL.DEEPLAB.TEST_OUTPUT_STRIDE {test}"
        if self.neck is not None:
            raise ValueError(f"{key}: with a neck (MODEL.NECK.NAME {self.neck_config_name}) the output stride is "
                             f"the neck's ({train}); set it to 0")
        if test not in OUTPUT_STRIDES:
            raise ValueError(f"{key} must be 0 or one of {OUTPUT_STRIDES}")
        if not hasattr(self.backbone, "set_output_stride"):
            raise ValueError(f"{key}: the backbone {type(self.backbone).__name__} cannot change its output stride")
        aspp = getattr(self.decode_head, "aspp", None)
        if aspp is None:
            raise ValueError(f"{key}: the decode head {type(self.decode_head).__name__} has no ASPP to re-dilate")
        if any(r * train % test for r in aspp.rates):
            raise ValueError(
                f"{key}: the ASPP rates {tuple(aspp.rates)} at output stride {train} do not scale to integers"
            )
        self._train_rates = list(aspp.rates)

    def _set_output_stride(self, output_stride: int) -> None:
        if output_stride == self._output_stride:
            return
        self.backbone.set_output_stride(output_stride)
        self.decode_head.aspp.set_rates([r * self.train_output_stride // output_stride for r in self._train_rates])
        self._output_stride = output_stride

    def train(self, mode: bool = True) -> "DeepLabV3":
        super().train(mode)
        self._set_output_stride(self.train_output_stride if mode else self.test_output_stride)
        return self
