"""LinkNet (Chaurasia and Culurciello, VCIP 2017): a ResNet encoder whose features are added back into
a light decoder, as the authors' e-lab/LinkNet ``models/model.lua``; smp's ``Linknet`` by config. LinkNet is the
composed model with the ``LinkNetDecoder`` neck and the ``LinkNetHead`` (or, for smp's, the ``UNetClassifierHead``)."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, NECK_REGISTRY, ShapeSpec

from .decoder import decoder_input_shapes
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


@NECK_REGISTRY.register()
class LinkNetDecoder(nn.Module):
    """LinkNet's decoder as a neck (MODEL.NECK.NAME "LinkNetDecoder", configured by MODEL.LINKNET; keys
    ``decoder.*``): ``blocks.0`` (from the deepest feature) .. one block per skip, then FINAL_CHANNELS blocks
    without one.

    A block's stride is the ratio of its input's and its skip's strides (1 for the authors' first
    block, whose encoder block does not down-sample), 2 for skip-less blocks. Outputs ``up<stride>``.
    """

    module_name = "decoder"

    def __init__(
        self, in_features: Sequence[str], in_shapes: Sequence[ShapeSpec], final_channels: Sequence[int],
        kernel_size: int, norm: str, norm_eps: float, bias: bool, relu_after_add: bool,
    ) -> None:
        super().__init__()
        self.in_features = list(in_features)
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

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        link = cfg.MODEL.LINKNET
        return dict(
            in_features=link.IN_FEATURES,
            in_shapes=decoder_input_shapes("MODEL.LINKNET.IN_FEATURES", link.IN_FEATURES, input_shape),
            final_channels=link.FINAL_CHANNELS, kernel_size=link.UPCONV_KERNEL, norm=link.NORM,
            norm_eps=link.NORM_EPS, bias=link.CONV_BIAS, relu_after_add=link.RELU_AFTER_ADD,
        )

    def output_shape(self) -> Dict[str, ShapeSpec]:
        return dict(self._out_shapes)

    def forward(self, features: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        features = [features[name] for name in self.in_features]
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
    As in model.lua only the second BN has LinkNet's NORM_EPS; the first keeps Torch's 1e-5."""

    reads_one_map = True

    def __init__(
        self, in_feature: str, in_channels: int, num_classes: int, channels: int = 32, norm: str = "BN",
        norm_eps: float = 1e-3,
    ) -> None:
        super().__init__()
        self.in_feature = in_feature
        self.up = UpConvNormReLU(in_channels, channels, 3, 2, norm)
        self.conv = ConvNormReLU(channels, channels, 3, 1, norm, True, norm_eps)
        self.classifier = nn.ConvTranspose2d(channels, num_classes, 2, stride=2)

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """The head node (IN_FEATURES, CHANNELS) and LinkNet's norm (MODEL.LINKNET.NORM, NORM_EPS)."""
        (feature,) = head_cfg.IN_FEATURES
        link = cfg.MODEL.LINKNET
        return dict(in_feature=feature, in_channels=input_shape[feature].channels, num_classes=cfg.MODEL.NUM_CLASSES,
                    channels=head_cfg.CHANNELS, norm=link.NORM, norm_eps=link.NORM_EPS)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        return self.classifier(self.conv(self.up(features[self.in_feature])))
