"""The aligned Xception-41/65/71 of DeepLabv3+ (Chen et al., ECCV 2018), laid out as timm's ``xception_aligned``.

Every block is three separable convs (depthwise 3x3 -> BN -> pointwise 1x1 -> BN) with a ReLU before
each; the stride sits on the third; the skip is a 1x1 conv + BN where the shape changes and the input
itself otherwise (x, not relu(x): the first ReLU must not work in place). The last exit-flow block has
no skip and its ReLUs inside the separable convs (TF's ``activation_fn_in_separable_conv``). BN eps is
1e-3 as in TensorFlow. Past the output stride, strides become 1 and later blocks are dilated (timm).

Features are named by stride as the ResNet's: each but ``res5`` is the input of the third separable
conv of a strided block (the last map at that stride), "res5" the exit flow's output:

=========  ======  =======================================================  ==========
name       stride  where (Xception-65; Xception-71's strided entry blocks   channels
                   are 0, 2 and 4)
=========  ======  =======================================================  ==========
stem       2       entry_flow.0 after conv2                                 128
res2       4       entry_flow.1 after conv2 (DeepLabv3+'s low-level input)  256
res3       8       entry_flow.2 after conv2                                 728
res4       16      exit_flow.0 after conv2                                  1024
res5       32      exit_flow.1                                              2048
=========  ======  =======================================================  ==========

TF's DeepLab reads the low-level map before that ReLU (``separable_conv2_pointwise``), timm's
``features_only`` after it (``blocks.1.stack.act3``): ``feature_tap`` chooses.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from ..layers import ConvNormAct, SeparableConv2d, freeze_batchnorm
from ..layers.norm import NORM_NAMES
from ..registry import BACKBONE_REGISTRY
from .backbone import Backbone, ShapeSpec

__all__ = ["Xception", "XceptionBlock", "build_xception_backbone", "xception_block_specs"]

FEATURE_NAMES = ("stem", "res2", "res3", "res4", "res5")
OUTPUT_STRIDES = (8, 16, 32)
FEATURE_TAPS = ("pre_relu", "post_relu")
WIDTH_DIVISORS = (1, 2, 4, 8)
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon, kept by timm's port of the TF weights
STEM_CHANNELS = (32, 64)

# depth -> entry flow as (out_channels, stride) per block, and the number of middle-flow blocks.
ENTRY_FLOWS: Dict[int, Tuple[Tuple[Tuple[int, int], ...], int]] = {
    41: (((128, 2), (256, 2), (728, 2)), 8),
    65: (((128, 2), (256, 2), (728, 2)), 16),
    71: (((128, 2), (256, 1), (256, 2), (728, 1), (728, 2)), 16),
}
MIDDLE_CHANNELS = 728
EXIT_FLOW = (((728, 1024, 1024), 2), ((1536, 1536, 2048), 1))


def xception_block_specs(depth: int) -> List[Tuple[str, Tuple[int, int, int], int]]:
    """``(flow, out_channels of the three separable convs, nominal stride)`` of every block, in order."""
    if depth not in ENTRY_FLOWS:
        raise ValueError(f"MODEL.XCEPTION.DEPTH (depth) must be one of {tuple(ENTRY_FLOWS)}, got {depth!r}")
    entry, num_middle = ENTRY_FLOWS[depth]
    specs = [("entry_flow", (c, c, c), s) for c, s in entry]
    specs += [("middle_flow", (MIDDLE_CHANNELS,) * 3, 1)] * num_middle
    specs += [("exit_flow", channels, s) for channels, s in EXIT_FLOW]
    return specs


def dilation_schedule(strides: Sequence[int], output_stride: int) -> List[Tuple[int, int]]:
    """``(stride, dilation)`` of each block after the stride-2 stem, for ``output_stride``.

    A stride that would take the network past ``output_stride`` becomes 1 and multiplies the dilation
    of the blocks after it; the block itself keeps the previous dilation (timm, and jfzhang95's
    exit-flow dilations (1, 2) at OS 16 and (2, 4) at OS 8).
    """
    if output_stride not in OUTPUT_STRIDES:
        raise ValueError(
            f"MODEL.XCEPTION.OUTPUT_STRIDE (output_stride) must be one of {OUTPUT_STRIDES}, got {output_stride!r}"
        )
    schedule, current_stride, dilation = [], 2, 1
    for stride in strides:
        block_dilation = dilation
        if stride > 1 and current_stride * stride > output_stride:
            dilation *= stride
            stride = 1
        current_stride *= stride
        schedule.append((stride, block_dilation))
    return schedule


class XceptionBlock(nn.Module):
    """Three separable convs ``conv1``..``conv3`` (stride on the third) plus a skip.

    Args:
        relu_inside: the last exit-flow block: ReLU after each depthwise and pointwise BN instead of
            before each separable conv, and no skip.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: Tuple[int, int, int],
        stride: int = 1,
        dilation: int = 1,
        norm: str = "BN",
        relu_inside: bool = False,
    ):
        super().__init__()
        self.relu_inside = relu_inside
        channels = (in_channels,) + tuple(out_channels)
        for i in range(3):
            sep = SeparableConv2d(
                channels[i], channels[i + 1], 3, stride=stride if i == 2 else 1, dilation=dilation,
                norm=norm, norm_eps=BN_EPS, act_dw=relu_inside, act_pw=relu_inside,
            )
            self.add_module(f"conv{i + 1}", sep)
        self.shortcut: Optional[nn.Module] = None
        if not relu_inside and (stride != 1 or in_channels != out_channels[-1]):
            self.shortcut = ConvNormAct(
                in_channels, out_channels[-1], 1, stride, norm=norm, activation=False, norm_eps=BN_EPS
            )
        self.out_channels = out_channels[-1]

    def set_stride_dilation(self, stride: int, dilation: int) -> None:
        """Re-stride and re-dilate in place; the weights stay as they are."""
        for i, sep in enumerate((self.conv1, self.conv2, self.conv3)):
            sep.conv_dw.stride = (stride if i == 2 else 1,) * 2
            sep.conv_dw.dilation = (dilation, dilation)
            sep.conv_dw.padding = (dilation, dilation)
        if self.shortcut is not None:
            self.shortcut[0].stride = (stride, stride)

    def _relu(self, x: torch.Tensor, inplace: bool) -> torch.Tensor:
        return x if self.relu_inside else torch.relu_(x) if inplace else torch.relu(x)

    def forward_with_tap(self, x: torch.Tensor, tap_before_relu: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
        """The block's output and the input of its third separable conv (before its ReLU if asked)."""
        y = self.conv1(self._relu(x, inplace=False))  # x is the identity skip: leave it unchanged
        y = self.conv2(self._relu(y, inplace=True))
        tap = y
        y = self._relu(y, inplace=not tap_before_relu)
        if not tap_before_relu:
            tap = y
        y = self.conv3(y)
        if self.relu_inside:
            return y, tap
        return y + (x if self.shortcut is None else self.shortcut(x)), tap

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_tap(x)[0]


class Xception(Backbone):
    """The aligned Xception returning the requested ``stem``/``res2``..``res5`` maps (see the module doc).

    Args:
        depth: 41, 65 or 71.
        output_stride: 8, 16 or 32; strides beyond it become dilations. :meth:`set_output_stride`
            changes it later without touching the weights (train at 16, test at 8 as the paper).
        out_features: names among "stem", "res2".."res5". Every block is built and run whatever is
            asked, so timm's checkpoints load whole; without "res5" the blocks after the deepest
            feature get no gradient.
        norm: a name for :func:`get_norm` (eps 1e-3).
        feature_tap: "pre_relu" (TF DeepLab's low-level feature) or "post_relu" (timm ``features_only``)
            for every feature but res5.
        freeze_at: 0 trains everything; k >= 1 freezes all that the k-th of (stem, res2, .., res5)
            is computed from; frozen BatchNorms become FrozenBatchNorm2d.
        width_divisor: divides every width (1, 2, 4 or 8) to make narrow nets for tests.
    """

    def __init__(
        self,
        depth: int = 65,
        output_stride: int = 16,
        out_features: Sequence[str] = ("res2", "res3", "res4", "res5"),
        norm: str = "BN",
        feature_tap: str = "pre_relu",
        freeze_at: int = 0,
        width_divisor: int = 1,
    ):
        super().__init__()
        specs = xception_block_specs(depth)
        unknown = [name for name in out_features if name not in FEATURE_NAMES]
        if unknown or not out_features:
            raise ValueError(
                f"MODEL.XCEPTION.OUT_FEATURES (out_features) must be a non-empty subset of {FEATURE_NAMES}, "
                f"got {list(out_features)!r}"
            )
        if (norm or "") not in NORM_NAMES:
            raise ValueError(f"MODEL.XCEPTION.NORM (norm) must be one of {NORM_NAMES}, got {norm!r}")
        if feature_tap not in FEATURE_TAPS:
            raise ValueError(
                f"MODEL.XCEPTION.FEATURE_TAP (feature_tap) must be one of {FEATURE_TAPS}, got {feature_tap!r}"
            )
        if width_divisor not in WIDTH_DIVISORS:
            raise ValueError(
                f"MODEL.XCEPTION.WIDTH_DIVISOR (width_divisor) must be one of {WIDTH_DIVISORS}, got {width_divisor!r}"
            )
        if not isinstance(freeze_at, int) or not 0 <= freeze_at <= len(FEATURE_NAMES):
            raise ValueError(f"MODEL.BACKBONE.FREEZE_AT (freeze_at) must be in 0..5, got {freeze_at!r}")
        dilation_schedule(
            [s for _, _, s in specs], output_stride)  # validates output_stride before building anything

        self.depth = depth
        self.tap_before_relu = feature_tap == "pre_relu"
        self._out_features = [name for name in FEATURE_NAMES if name in out_features]
        c0, c1 = (c // width_divisor for c in STEM_CHANNELS)
        self.stem = nn.Sequential(
            ConvNormAct(3, c0, 3, stride=2, norm=norm, norm_eps=BN_EPS),
            ConvNormAct(c0, c1, 3, norm=norm, norm_eps=BN_EPS),
        )
        self.entry_flow, self.middle_flow, self.exit_flow = nn.Sequential(), nn.Sequential(), nn.Sequential()
        channels = c1
        for i, (flow, out_channels, stride) in enumerate(specs):
            out_channels = tuple(c // width_divisor for c in out_channels)
            block = XceptionBlock(channels, out_channels, stride, norm=norm, relu_inside=i == len(specs) - 1)
            getattr(self, flow).append(block)
            channels = out_channels[-1]
        self._nominal_strides = [s for _, _, s in specs]
        # Blocks whose third conv is strided hold the taps of stem, res2, res3, res4 in this order.
        self._tap_blocks = [i for i, s in enumerate(self._nominal_strides) if s > 1]
        self._out_shapes: Dict[str, ShapeSpec] = {}
        self.set_output_stride(output_stride)
        self._freeze(freeze_at)

    def blocks(self) -> List[XceptionBlock]:
        """The entry, middle and exit flow's blocks in order."""
        return [*self.entry_flow, *self.middle_flow, *self.exit_flow]

    @property
    def output_stride(self) -> int:
        return self._output_stride

    def set_output_stride(self, output_stride: int) -> None:
        """Re-stride and re-dilate the blocks for ``output_stride`` (8, 16, 32) in place, weights untouched."""
        schedule = dilation_schedule(self._nominal_strides, output_stride)
        blocks = self.blocks()
        stride = 2
        for i, (block, (block_stride, dilation)) in enumerate(zip(blocks, schedule)):
            block.set_stride_dilation(block_stride, dilation)
            if i in self._tap_blocks:
                name = FEATURE_NAMES[self._tap_blocks.index(i)]
                self._out_shapes[name] = ShapeSpec(channels=block.conv2.conv_pw.out_channels, stride=stride)
            stride *= block_stride
        self._out_shapes["res5"] = ShapeSpec(channels=blocks[-1].out_channels, stride=stride)
        self._output_stride = output_stride

    def _freeze(self, freeze_at: int) -> None:
        """Stop gradients and statistics of everything the ``freeze_at``-th feature depends on."""
        if freeze_at <= 0:
            return
        modules: List[nn.Module] = [self.stem]
        blocks = self.blocks()
        last_tap_block = self._tap_blocks[freeze_at - 1] if freeze_at < len(FEATURE_NAMES) else len(blocks)
        modules += blocks[:last_tap_block]
        if last_tap_block < len(blocks):
            modules += [blocks[last_tap_block].conv1, blocks[last_tap_block].conv2]
        for module in modules:
            for p in module.parameters():
                p.requires_grad_(False)
            freeze_batchnorm(module)  # replaces the BatchNorms inside, in place

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = self.stem(x)
        outputs: Dict[str, torch.Tensor] = {}
        for i, block in enumerate(self.blocks()):
            if i in self._tap_blocks:
                x, tap = block.forward_with_tap(x, self.tap_before_relu)
                name = FEATURE_NAMES[self._tap_blocks.index(i)]
                if name in self._out_features:
                    outputs[name] = tap
            else:
                x = block(x)
        if "res5" in self._out_features:
            outputs["res5"] = x
        return outputs


@BACKBONE_REGISTRY.register()
def build_xception_backbone(cfg) -> Xception:
    """The aligned Xception described by ``cfg.MODEL.XCEPTION`` and ``cfg.MODEL.BACKBONE.FREEZE_AT``."""
    x = cfg.MODEL.XCEPTION
    return Xception(
        depth=x.DEPTH,
        output_stride=x.OUTPUT_STRIDE,
        out_features=list(x.OUT_FEATURES),
        norm=x.NORM,
        feature_tap=x.FEATURE_TAP,
        freeze_at=cfg.MODEL.BACKBONE.FREEZE_AT,
        width_divisor=x.WIDTH_DIVISOR,
    )
