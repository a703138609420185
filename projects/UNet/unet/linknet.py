"""LinkNet (Chaurasia and Culurciello, VCIP 2017): a ResNet encoder whose features are added back into
a light decoder, as the authors' e-lab/LinkNet ``models/model.lua``; smp's ``Linknet`` by config."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, META_ARCH_REGISTRY, ShapeSpec
from seg_engine.modeling.heads import build_head

from .any_size import AnySizeEncoderDecoder
from .layers import ConvNormReLU, UpConvNormReLU, fuse, match_skip


class LinkNetBlock(nn.Module):
    """``convs``: 1x1 m -> m/4, transposed conv (stride ``stride``) m/4 -> m/4, 1x1 m/4 -> n; then the
    skip is added (``fuse(..., "add")``) and, with ``relu_after_add``, a ReLU follows the sum."""

    def __init__(
        self, in_channels: int, out_channels: int, stride: int, kernel_size: int, norm: str, norm_eps: float,
        bias: bool, relu_after_add: bool,
    ) -> None:
        super().__init__()
        mid = in_channels // 4
        self.convs = nn.Sequential(
            ConvNormReLU(in_channels, mid, 1, 0, norm, bias, norm_eps),
            UpConvNormReLU(mid, mid, kernel_size, stride, norm, norm_eps),
            ConvNormReLU(mid, out_channels, 1, 0, norm, bias, norm_eps),
        )
        self.relu_after_add = relu_after_add

    def forward(self, x: torch.Tensor, skip: Optional[torch.Tensor]) -> torch.Tensor:
        x = self.convs(x)
        if skip is None:
            return x
        x = fuse(match_skip(x, skip, crop_skip=False), skip, "add")
        return torch.relu(x) if self.relu_after_add else x


class LinkNetDecoder(nn.Module):
    """``blocks.0`` (from the deepest feature) .. one block per skip, then FINAL_CHANNELS blocks without one.

    A block's stride is the ratio of its input's and its skip's strides (1 for the authors' first
    block, whose encoder block does not down-sample), 2 for skip-less blocks. Outputs ``up<stride>``.
    """

    def __init__(
        self, in_shapes: Sequence[ShapeSpec], final_channels: Sequence[int], kernel_size: int, norm: str,
        norm_eps: float, bias: bool, relu_after_add: bool,
    ) -> None:
        super().__init__()
        skips = list(in_shapes[:-1])[::-1]
        channels, stride = in_shapes[-1].channels, in_shapes[-1].stride
        self.blocks = nn.ModuleList()
        self._out_shapes: Dict[str, ShapeSpec] = {}
        for target in skips + [None] * len(final_channels):
            out_channels = target.channels if target else final_channels[len(self.blocks) - len(skips)]
            new_stride = target.stride if target else max(stride // 2, 1)
            self.blocks.append(
                LinkNetBlock(channels, out_channels, stride // new_stride, kernel_size, norm, norm_eps, bias, relu_after_add)
            )
            channels, stride = out_channels, new_stride
            self._out_shapes[f"up{stride}"] = ShapeSpec(channels, stride)
        self.num_skips = len(skips)

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return dict(self._out_shapes)

    def forward(self, features: List[torch.Tensor]) -> Dict[str, torch.Tensor]:
        skips = features[:-1][::-1]
        x, out = features[-1], {}
        for i, (block, name) in enumerate(zip(self.blocks, self._out_shapes)):
            x = block(x, skips[i] if i < self.num_skips else None)
            out[name] = x
        return out


@HEAD_REGISTRY.register()
class LinkNetHead(nn.Module):
    """model.lua's classifier: full-conv 3x3/2 m -> 32 + BN + ReLU, conv 3x3 32 -> 32 + BN + ReLU, full-conv
    2x2/2 32 -> classes (convs with bias), from stride s to s/4. Children ``up``, ``conv``, ``classifier``.
    As in model.lua only the second BN has MODEL.LINKNET.NORM_EPS; the first keeps Torch's 1e-5."""

    def __init__(self, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> None:
        super().__init__()
        link = cfg.MODEL.LINKNET
        self.in_feature = head_cfg.IN_FEATURE
        width = head_cfg.CHANNELS
        self.up = UpConvNormReLU(input_shape[self.in_feature].channels, width, 3, 2, link.NORM)
        self.conv = ConvNormReLU(width, width, 3, 1, link.NORM, True, link.NORM_EPS)
        self.classifier = nn.ConvTranspose2d(width, cfg.MODEL.NUM_CLASSES, 2, stride=2)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.conv(self.up(features[self.in_feature])))


@META_ARCH_REGISTRY.register()
class LinkNet(AnySizeEncoderDecoder):
    """Backbone features MODEL.LINKNET.IN_FEATURES -> LinkNetDecoder -> MODEL.HEAD (LinkNetHead for the
    authors' model, UNetClassifierHead with kernel 1 for smp's). Pads the input to the bottom's stride."""

    def build_heads(self, cfg) -> None:
        link = cfg.MODEL.LINKNET
        in_shapes = self.decoder_inputs("MODEL.LINKNET.IN_FEATURES", link.IN_FEATURES)
        self.decoder = LinkNetDecoder(
            in_shapes, link.FINAL_CHANNELS, link.UPCONV_KERNEL, link.NORM, link.NORM_EPS, link.CONV_BIAS, link.RELU_AFTER_ADD
        )
        self.input_multiple = in_shapes[-1].stride if cfg.MODEL.UNET.PAD_INPUT else 1
        decoder_shapes = self.decoder.output_shape()
        self.decode_head = build_head(cfg, cfg.MODEL.HEAD, decoder_shapes)
        self.aux_head = None
        self.loss_weights = {"sem_seg": cfg.MODEL.HEAD.LOSS_WEIGHT}
        stride = decoder_shapes[cfg.MODEL.HEAD.IN_FEATURE].stride
        self.output_strides = {"sem_seg": max(stride // 4, 1) if cfg.MODEL.HEAD.NAME == "LinkNetHead" else stride}

    def network(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        features = self.backbone(images)
        return self.decode(self.decoder([features[f] for f in self.in_features]))
