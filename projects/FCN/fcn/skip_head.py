"""FCNSkipHead: the score layers, skip fusions, deconvolutions and crops of FCN-32s/16s/8s."""
from __future__ import annotations

from typing import Dict

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec

from .alignment import crop_offsets
from .bilinear import BilinearUpsample

STRIDES = (32, 16, 8)


def _crop(x: torch.Tensor, offset: int, height: int, width: int) -> torch.Tensor:
    return x[:, :, offset : offset + height, offset : offset + width]


@HEAD_REGISTRY.register()
class FCNSkipHead(nn.Module):
    """The authors' ``voc-fcn{32,16,8}s/net.py`` after fc7, modules named as their layers:

    * FCN-32s: ``score_fr`` (1x1) -> ``upscore`` (deconv 64/32) -> crop at 19;
    * FCN-16s: ``upscore2`` (4/2) of the fc7 scores + ``score_pool4`` cropped at 5 -> ``upscore16``
      (32/16) -> crop at 27;
    * FCN-8s: as 16s, then ``upscore_pool4`` (4/2) + ``score_pool3`` cropped at 9 -> ``upscore8``
      (16/8) -> crop at 31.

    Score layers start at zero (Caffe's default filler), deconvolutions bilinear. The logits come out at
    exactly the input's size. The head reads "fc7", "pool4", "pool3" and "conv1" of the VGG backbone;
    "conv1" (conv1_2's output, of the input's size plus 2 * (FIRST_PADDING - 1)) gives the input size,
    so odd sizes and padded batches crop right. Its IN_FEATURES must be ["fc7"]; it requires the VGG backbone.
    """

    requires_backbone = "build_vgg_backbone"
    reads_one_map = True

    def __init__(
        self, input_shape: Dict[str, ShapeSpec], num_classes: int, stride: int = 8, first_padding: int = 100,
        pool4_scale: float = 1.0, pool3_scale: float = 1.0, learn_2x_upsampling: bool = False,
    ) -> None:
        super().__init__()
        if stride not in STRIDES:
            raise ValueError(f"MODEL.FCN.STRIDE must be one of {STRIDES}, got {stride!r}")
        self.skips = {32: (), 16: ("pool4",), 8: ("pool4", "pool3")}[stride]
        needed = ("fc7", "conv1") + self.skips
        missing = [name for name in needed if name not in input_shape]
        if missing:
            raise ValueError(
                f"FCN-{stride}s reads {list(needed)} from the backbone; add {missing} to MODEL.VGG.OUT_FEATURES "
                "(and set MODEL.VGG.FC_AS_CONV True for fc7)"
            )
        self.first_padding = first_padding
        self.offsets = crop_offsets(stride, self.first_padding)
        self.scales = {"pool4": pool4_scale, "pool3": pool3_scale}
        learn_2x = learn_2x_upsampling

        self.score_fr = nn.Conv2d(input_shape["fc7"].channels, num_classes, 1)
        if stride == 32:
            self.upscore = BilinearUpsample(num_classes, 32)
        else:
            self.upscore2 = BilinearUpsample(num_classes, 2, learn_2x)
            self.score_pool4 = nn.Conv2d(input_shape["pool4"].channels, num_classes, 1)
        if stride == 16:
            self.upscore16 = BilinearUpsample(num_classes, 16)
        if stride == 8:
            self.upscore_pool4 = BilinearUpsample(num_classes, 2, learn_2x)
            self.score_pool3 = nn.Conv2d(input_shape["pool3"].channels, num_classes, 1)
            self.upscore8 = BilinearUpsample(num_classes, 8)
        for score in (self.score_fr, getattr(self, "score_pool4", None), getattr(self, "score_pool3", None)):
            if score is not None:
                nn.init.zeros_(score.weight)
                nn.init.zeros_(score.bias)
        # The 2x deconvolution after each stream, and the final one, in order.
        self.upsamplers = {32: ["upscore"], 16: ["upscore2", "upscore16"], 8: ["upscore2", "upscore_pool4", "upscore8"]}[stride]

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """MODEL.FCN, and the padding of the VGG it requires (MODEL.VGG.FIRST_PADDING, the authors' 100)."""
        if head_cfg.IN_FEATURES[0] != "fc7":
            raise ValueError(f"FCNSkipHead scores fc7: its IN_FEATURES must be ['fc7'], got {list(head_cfg.IN_FEATURES)}")
        f = cfg.MODEL.FCN
        return dict(
            input_shape=input_shape, num_classes=cfg.MODEL.NUM_CLASSES, stride=f.STRIDE,
            first_padding=cfg.MODEL.VGG.FIRST_PADDING, pool4_scale=f.POOL4_SCALE, pool3_scale=f.POOL3_SCALE,
            learn_2x_upsampling=f.LEARN_2X_UPSAMPLING,
        )

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        conv1 = features["conv1"]
        height = conv1.shape[-2] - 2 * (self.first_padding - 1)
        width = conv1.shape[-1] - 2 * (self.first_padding - 1)
        x = getattr(self, self.upsamplers[0])(self.score_fr(features["fc7"]))
        for skip, upsampler in zip(self.skips, self.upsamplers[1:]):
            scale = self.scales[skip]  # the at-once net's fixed Scale layers
            score = getattr(self, f"score_{skip}")(features[skip] * scale if scale != 1.0 else features[skip])
            x = getattr(self, upsampler)(x + _crop(score, self.offsets[skip], x.shape[-2], x.shape[-1]))
        out = _crop(x, self.offsets["input"], height, width)
        if out.shape[-2:] != (height, width):
            raise ValueError(
                f"FCN output {tuple(x.shape[-2:])} cannot be cropped at {self.offsets['input']} to the input's "
                f"{height}x{width}; increase MODEL.VGG.FIRST_PADDING (the authors' 100)"
            )
        return out
