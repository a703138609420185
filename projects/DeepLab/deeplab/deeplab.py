"""DeepLabv3 and DeepLabv3+: EncoderDecoders that can evaluate at another output stride than they train at."""
from __future__ import annotations

from seg_engine.modeling import META_ARCH_REGISTRY, EncoderDecoder
from seg_engine.modeling.necks import build_jpu

OUTPUT_STRIDES = (8, 16, 32)


@META_ARCH_REGISTRY.register()
class DeepLabV3(EncoderDecoder):
    """A dilated backbone and the ASPPHead (MODEL.HEAD.NAME "ASPPHead"); aux head MODEL.AUX_HEAD.

    MODEL.DEEPLAB.TEST_OUTPUT_STRIDE: ``eval()`` calls the backbone's ``set_output_stride`` and scales
    the ASPP rates by training stride / test stride (train at 16 with 6, 12, 18, evaluate at 8 with 12,
    24, 36, as the paper); ``train()`` restores both. The weights are the same at either stride.
    With MODEL.DEEPLAB.USE_JPU a JPU neck (FastFCN) on an output-stride-32 backbone's res3..res5 sits
    between the backbone and both heads; the ASPP then reads its output at res3's stride.
    """

    head_name = "ASPPHead"

    def build_heads(self, cfg) -> None:
        if cfg.MODEL.HEAD.NAME != self.head_name:
            raise ValueError(
                f"{type(self).__name__} decodes with its own head: set MODEL.HEAD.NAME to {self.head_name} "
                f"(got {cfg.MODEL.HEAD.NAME!r})"
            )
        self.neck = build_jpu(cfg.MODEL.DEEPLAB, self.backbone.output_shape(), cfg.MODEL.HEAD.NORM, self.align_corners)
        super().build_heads(cfg)
        self.train_output_stride = self.head_input_shape()[cfg.MODEL.HEAD.IN_FEATURE].stride
        self.test_output_stride = cfg.MODEL.DEEPLAB.TEST_OUTPUT_STRIDE or self.train_output_stride
        self._train_rates = list(self.decode_head.aspp.rates)
        self._check_test_output_stride()
        self._output_stride = self.train_output_stride

    def _check_test_output_stride(self) -> None:
        test, train = self.test_output_stride, self.train_output_stride
        if test == train:
            return
        key = f"MODEL.DEEPLAB.TEST_OUTPUT_STRIDE {test}"
        if self.neck is not None:
            raise ValueError(f"{key}: with MODEL.DEEPLAB.USE_JPU the output stride is the JPU's (res3's, "
                             f"{train}); set it to 0")
        if test not in OUTPUT_STRIDES:
            raise ValueError(f"{key} must be 0 or one of {OUTPUT_STRIDES}")
        if not hasattr(self.backbone, "set_output_stride"):
            raise ValueError(f"{key}: the backbone {type(self.backbone).__name__} cannot change its output stride")
        if any(r * train % test for r in self._train_rates):
            raise ValueError(
                f"{key}: the ASPP rates {tuple(self._train_rates)} at output stride {train} do not scale to integers"
            )

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


@META_ARCH_REGISTRY.register()
class DeepLabV3Plus(DeepLabV3):
    """DeepLabV3 with the DeepLabV3PlusHead (MODEL.HEAD.NAME "DeepLabV3PlusHead"): the ASPP output joins the
    stride-4 feature MODEL.DEEPLAB.LOW_LEVEL_FEATURE before the classifier."""

    head_name = "DeepLabV3PlusHead"
