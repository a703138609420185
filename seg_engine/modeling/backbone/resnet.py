"""A dilated ResNet backbone with torchvision's parameter names (and hszhao/semseg's deep stem).

Stages keep torchvision's names (``layer1``..``layer4``, blocks ``layerN.i`` with conv1/bn1/...,
``downsample.0``/``downsample.1``) so ImageNet checkpoints load directly; they are reported as
``res2``..``res5`` as in detectron2.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
from torch import nn

from ..layers.norm import NORM_NAMES, freeze_batchnorm, get_norm
from ..registry import BACKBONE_REGISTRY
from .backbone import Backbone, ShapeSpec

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "build_resnet_backbone"]

STAGE_NAMES = ("res2", "res3", "res4", "res5")
FEATURE_NAMES = ("stem",) + STAGE_NAMES
# The stem's activation before the max pool (stride 2), the first skip of U-Net decoders (smp's encoders).
PRE_POOL_FEATURE = "conv1"
STEM_TYPES = ("basic", "deep")
FIRST_BLOCK_DILATIONS = ("full", "half")
OUTPUT_STRIDES = (8, 16, 32)


def _conv3x3(in_channels: int, out_channels: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    """A 3x3 conv whose padding equals its dilation, so only the stride changes the size."""
    return nn.Conv2d(
        in_channels, out_channels, 3, stride=stride, padding=dilation, dilation=dilation, bias=False
    )


class BasicBlock(nn.Module):
    """Two 3x3 convs (ResNet-18/34), the first with the block's stride. Both use the block's dilation
    (timm, smp), or only the first with ``dilate_second=False`` (mmsegmentation's BasicBlock)."""

    expansion = 1

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        dilation: int = 1,
        norm: str = "BN",
        downsample: Optional[nn.Module] = None,
        dilate_second: bool = True,
    ):
        super().__init__()
        self.dilate_second = dilate_second
        self.conv1 = _conv3x3(in_channels, width, stride, dilation)
        self.bn1 = get_norm(norm, width)
        self.conv2 = _conv3x3(width, width, dilation=dilation if dilate_second else 1)
        self.bn2 = get_norm(norm, width)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 -> 1x1 (ResNet-50+), stride and dilation on the 3x3 as in torchvision ("ResNet v1.5")."""

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        dilation: int = 1,
        norm: str = "BN",
        downsample: Optional[nn.Module] = None,
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = get_norm(norm, width)
        self.conv2 = _conv3x3(width, width, stride, dilation)
        self.bn2 = get_norm(norm, width)
        self.conv3 = nn.Conv2d(width, width * self.expansion, 1, bias=False)
        self.bn3 = get_norm(norm, width * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


Block = Union[Type[BasicBlock], Type[Bottleneck]]

ARCH_SETTINGS: Dict[int, Tuple[Block, Tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}

BASIC_BLOCK_DILATIONS = ("both", "first")


def stage_schedule(
    output_stride: int, first_block_dilation: str, dilations: Sequence[int] = ()
) -> List[Tuple[int, int, int]]:
    """``(stride, first block dilation, other blocks' dilation)`` of layer1..layer4.

    Past ``output_stride`` a stage keeps the resolution and doubles the dilation instead. "full" gives
    its first block the stage's dilation too (hszhao/semseg); "half" gives it the previous stage's
    dilation (PyTorch-Encoding, mmsegmentation), which is half of it. ``dilations`` (one per stage)
    replaces the dilations while the strides still follow ``output_stride``: mmsegmentation's FastFCN
    backbone is strided to 32 and dilated (1, 1, 2, 4) at once.
    """
    if output_stride not in OUTPUT_STRIDES:
        raise ValueError(
            f"MODEL.RESNETS.OUTPUT_STRIDE (output_stride) must be one of {OUTPUT_STRIDES}, "
            f"got {output_stride!r}"
        )
    if first_block_dilation not in FIRST_BLOCK_DILATIONS:
        raise ValueError(
            "MODEL.RESNETS.FIRST_BLOCK_DILATION (first_block_dilation) must be one of "
            f"{FIRST_BLOCK_DILATIONS}, got {first_block_dilation!r}"
        )
    schedule = [(1, 1, 1), (2, 1, 1)]
    stride, dilation = 8, 1
    for _ in range(2):
        if stride < output_stride:
            stride *= 2
            schedule.append((2, dilation, dilation))
        else:
            first = dilation if first_block_dilation == "half" else dilation * 2
            dilation *= 2
            schedule.append((1, first, dilation))
    if dilations:
        if len(dilations) != 4 or any(not isinstance(d, int) or d < 1 for d in dilations):
            raise ValueError(f"MODEL.RESNETS.DILATIONS must be empty or 4 positive ints, got {list(dilations)!r}")
        schedule = [
            (stage_stride, d // 2 if first_block_dilation == "half" and d > 1 else d, d)
            for (stage_stride, _, _), d in zip(schedule, dilations)
        ]
    return schedule


def _set_block_stride_dilation(block: nn.Module, stride: int, dilation: int) -> None:
    """Give a built BasicBlock/Bottleneck another stride (its strided 3x3 conv and downsample) and
    dilation (every 3x3 conv, padding = dilation)."""
    strided = block.conv2 if isinstance(block, Bottleneck) else block.conv1
    dilated = (block.conv1, block.conv2) if getattr(block, "dilate_second", True) else (block.conv1,)
    for conv in dilated:
        if conv.kernel_size == (3, 3):
            conv.dilation = conv.padding = (dilation, dilation)
    strided.stride = (stride, stride)
    if block.downsample is not None:
        block.downsample[0].stride = (stride, stride)


class ResNet(Backbone):
    """ResNet-18..152 returning the requested ``stem``/``res2``..``res5`` maps.

    Args:
        depth: 18, 34 (BasicBlock), 50, 101 or 152 (Bottleneck).
        stem: "basic" (torchvision's 7x7 conv) or "deep" (three 3x3 convs as in hszhao/semseg).
        base_width: channels of res2's convs; stages use base, 2x, 4x, 8x (64: the standard nets).
        norm: a name for :func:`get_norm`.
        output_stride: 8, 16 or 32; res4/res5 are dilated instead of strided beyond it.
        first_block_dilation: "full" or "half", see :func:`stage_schedule`.
        out_features: names among "conv1" (the stem before its max pool, stride 2), "stem",
            "res2".."res5". Stages past the deepest one are not built,
            so they neither cost memory nor leave unused parameters for DDP.
        freeze_at: 0 trains everything; 1 freezes the stem; k >= 2 also res2..res_k. Frozen parts
            have ``requires_grad=False`` and their BatchNorms become FrozenBatchNorm2d.
        stem_width: the stem's width w (0: base_width); the deep stem is (w, w, 2w), so 32 gives
            mmsegmentation's ResNetV1c stem (32, 32, 64) and res2 then reads 64 channels.
        multi_grid: one factor per block of res5 (DeepLabv3's (1, 2, 4)); block i of res5 then has
            the stage's dilation times ``multi_grid[i]``, the first block included (TensorFlow
            DeepLab, detectron2). Empty: off.

    :meth:`set_output_stride` re-dilates the built network in place (e.g. train at 16, test at 8).
        dilations: per-stage dilations replacing those of ``output_stride`` (see :func:`stage_schedule`).
        basic_block_dilation: "both" 3x3 convs of a dilated BasicBlock (timm, smp) or the "first" only
            (mmsegmentation); no effect on Bottleneck depths.
    """

    def __init__(
        self,
        depth: int = 50,
        stem: str = "deep",
        base_width: int = 64,
        norm: str = "BN",
        output_stride: int = 8,
        first_block_dilation: str = "full",
        out_features: Sequence[str] = STAGE_NAMES,
        freeze_at: int = 0,
        stem_width: int = 0,
        multi_grid: Sequence[int] = (),
        dilations: Sequence[int] = (),
        basic_block_dilation: str = "both",
    ):
        super().__init__()
        if depth not in ARCH_SETTINGS:
            raise ValueError(
                f"MODEL.RESNETS.DEPTH (depth) must be one of {tuple(ARCH_SETTINGS)}, got {depth!r}"
            )
        if stem not in STEM_TYPES:
            raise ValueError(f"MODEL.RESNETS.STEM (stem) must be one of {STEM_TYPES}, got {stem!r}")
        if not isinstance(base_width, int) or base_width < 1:
            raise ValueError(
                f"MODEL.RESNETS.BASE_WIDTH (base_width) must be a positive int, got {base_width!r}"
            )
        if basic_block_dilation not in BASIC_BLOCK_DILATIONS:
            raise ValueError(f"MODEL.RESNETS.BASIC_BLOCK_DILATION (basic_block_dilation) must be one of "
                             f"{BASIC_BLOCK_DILATIONS}, got {basic_block_dilation!r}")
        if (norm or "") not in NORM_NAMES:
            raise ValueError(f"MODEL.RESNETS.NORM (norm) must be one of {NORM_NAMES}, got {norm!r}")
        known = (PRE_POOL_FEATURE,) + FEATURE_NAMES
        unknown = [name for name in out_features if name not in known]
        if unknown or not out_features:
            raise ValueError(
                f"MODEL.RESNETS.OUT_FEATURES (out_features) must be a non-empty subset of {known}, "
                f"got {list(out_features)!r}"
            )
        if not 0 <= freeze_at <= len(FEATURE_NAMES):
            raise ValueError(f"MODEL.BACKBONE.FREEZE_AT (freeze_at) must be in 0..5, got {freeze_at!r}")
        schedule = stage_schedule(output_stride, first_block_dilation, dilations)
        block, num_blocks = ARCH_SETTINGS[depth]
        self._block_kwargs = {"dilate_second": basic_block_dilation == "both"} if block is BasicBlock else {}
        multi_grid = tuple(multi_grid)
        valid_factors = all(isinstance(g, int) and g >= 1 for g in multi_grid)
        if multi_grid and (len(multi_grid) != num_blocks[3] or not valid_factors):
            raise ValueError(
                f"MODEL.RESNETS.MULTI_GRID (multi_grid) must be empty or one positive int per block of res5 "
                f"({num_blocks[3]} for depth {depth}), got {multi_grid!r}"
            )
        self._first_block_dilation, self._multi_grid, self._dilations = first_block_dilation, multi_grid, tuple(dilations)

        self._out_features = [name for name in known if name in out_features]
        self._out_shapes: Dict[str, ShapeSpec] = {}
        if not isinstance(stem_width, int) or stem_width < 0:
            raise ValueError(f"MODEL.RESNETS.STEM_WIDTH (stem_width) must be an int >= 0, got {stem_width!r}")
        self._stem_names = self._build_stem(stem, stem_width or base_width, norm)
        channels, stride = self._out_shapes["stem"].channels, 4

        num_stages = max(FEATURE_NAMES.index(name) for name in self._out_features + ["stem"] if name in FEATURE_NAMES)
        self._stage_names: List[str] = []
        for i in range(num_stages):
            stage_stride = schedule[i][0]
            width = base_width * 2**i
            layer = self._make_layer(
                block, channels, width, stage_stride, self._block_dilations(schedule, i, num_blocks[i]), norm
            )
            layer_name = f"layer{i + 1}"
            self.add_module(layer_name, layer)
            self._stage_names.append(layer_name)
            channels, stride = width * block.expansion, stride * stage_stride
            self._out_shapes[STAGE_NAMES[i]] = ShapeSpec(channels=channels, stride=stride)

        self._init_weights()
        self._freeze(freeze_at)

    def _build_stem(self, stem: str, width: int, norm: str) -> List[str]:
        """Add the stem's modules at the top level (torchvision / hszhao layout); return their names."""
        if stem == "basic":
            self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
            self.bn1 = get_norm(norm, width)
            names, channels = ["conv1", "bn1"], width
        else:
            self.conv1 = _conv3x3(3, width, stride=2)
            self.bn1 = get_norm(norm, width)
            self.conv2 = _conv3x3(width, width)
            self.bn2 = get_norm(norm, width)
            self.conv3 = _conv3x3(width, 2 * width)
            self.bn3 = get_norm(norm, 2 * width)
            names, channels = ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3"], 2 * width
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self._out_shapes[PRE_POOL_FEATURE] = ShapeSpec(channels=channels, stride=2)
        self._out_shapes["stem"] = ShapeSpec(channels=channels, stride=4)
        return names

    def _block_dilations(self, schedule: List[Tuple[int, int, int]], stage: int, num_blocks: int) -> List[int]:
        """The dilation of each block of stage ``stage`` (0: res2): the schedule's, or multi-grid's in res5."""
        _, first, dilation = schedule[stage]
        if stage == 3 and self._multi_grid:
            return [dilation * g for g in self._multi_grid]
        return [first] + [dilation] * (num_blocks - 1)

    def _make_layer(
        self,
        block: Block,
        in_channels: int,
        width: int,
        stride: int,
        dilations: Sequence[int],
        norm: str,
    ) -> nn.Sequential:
        out_channels = width * block.expansion
        downsample = None
        if stride != 1 or in_channels != out_channels:
            downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                get_norm(norm, out_channels),
            )
        blocks = [block(in_channels, width, stride, dilations[0], norm, downsample, **self._block_kwargs)]
        blocks += [block(out_channels, width, 1, dilation, norm, **self._block_kwargs) for dilation in dilations[1:]]
        return nn.Sequential(*blocks)

    def set_output_stride(self, output_stride: int) -> None:
        """Re-dilate the built stages for ``output_stride`` (8, 16, 32) in place, weights untouched.

        Strides, dilations and paddings become those of a ResNet built at ``output_stride`` with the
        same FIRST_BLOCK_DILATION and MULTI_GRID, e.g. DeepLab's training at 16 and testing at 8.
        """
        if self._dilations:
            raise ValueError(
                f"MODEL.RESNETS.DILATIONS {list(self._dilations)} fixes the dilations: this ResNet cannot switch "
                f"to output stride {output_stride}"
            )
        schedule = stage_schedule(output_stride, self._first_block_dilation)
        stride = 4
        for i, (feature, layer_name) in enumerate(zip(STAGE_NAMES, self._stage_names)):
            layer = getattr(self, layer_name)
            stage_stride = schedule[i][0]
            for j, (block, dilation) in enumerate(zip(layer, self._block_dilations(schedule, i, len(layer)))):
                _set_block_stride_dilation(block, stage_stride if j == 0 else 1, dilation)
            stride *= stage_stride
            self._out_shapes[feature] = ShapeSpec(channels=self._out_shapes[feature].channels, stride=stride)

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.SyncBatchNorm, nn.GroupNorm)) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _freeze(self, freeze_at: int) -> None:
        """Stop gradients and statistics updates of the stem and the first ``freeze_at - 1`` stages."""
        if freeze_at <= 0:
            return
        names = self._stem_names + self._stage_names[: freeze_at - 1]
        for name in names:
            module = getattr(self, name)
            for p in module.parameters():
                p.requires_grad_(False)
            setattr(self, name, freeze_batchnorm(module))

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        for conv, norm in zip(self._stem_names[0::2], self._stem_names[1::2]):
            x = self.relu(getattr(self, norm)(getattr(self, conv)(x)))
        outputs = {PRE_POOL_FEATURE: x} if PRE_POOL_FEATURE in self._out_features else {}
        x = self.maxpool(x)
        if "stem" in self._out_features:
            outputs["stem"] = x
        for feature, layer_name in zip(STAGE_NAMES, self._stage_names):
            x = getattr(self, layer_name)(x)
            if feature in self._out_features:
                outputs[feature] = x
        return outputs


@BACKBONE_REGISTRY.register()
def build_resnet_backbone(cfg) -> ResNet:
    """The ResNet described by ``cfg.MODEL.RESNETS`` and ``cfg.MODEL.BACKBONE.FREEZE_AT``."""
    r = cfg.MODEL.RESNETS
    return ResNet(
        depth=r.DEPTH,
        stem=r.STEM,
        base_width=r.BASE_WIDTH,
        norm=r.NORM,
        output_stride=r.OUTPUT_STRIDE,
        first_block_dilation=r.FIRST_BLOCK_DILATION,
        out_features=list(r.OUT_FEATURES),
        freeze_at=cfg.MODEL.BACKBONE.FREEZE_AT,
        stem_width=r.STEM_WIDTH,
        multi_grid=tuple(r.MULTI_GRID),
        dilations=tuple(r.DILATIONS),
        basic_block_dilation=r.BASIC_BLOCK_DILATION,
    )
