"""ConvNeXt (Liu et al., "A ConvNet for the 2020s", CVPR 2022) as a segmentation backbone, laid out as
the authors' segmentation code (facebookresearch/ConvNeXt ``semantic_segmentation/backbone/convnext.py``).

Parameter names: ``downsample_layers.0`` = (4x4/4 conv, LayerNorm) the stem, ``downsample_layers.<i>`` =
(LayerNorm, 2x2/2 conv) before stage i, ``stages.<i>.<j>.{dwconv, norm, pwconv1, pwconv2, gamma}`` the
blocks and one output LayerNorm ``norm<i>`` per returned stage; stages are reported as ``res2``..``res5``
(strides 4..32). Every LayerNorm has eps 1e-6. Sizes that are not multiples of 32 are floored by the
unpadded strided convs, as in every reference.
"""
from __future__ import annotations

from typing import Dict, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import StochasticDepth

from ..registry import BACKBONE_REGISTRY
from .backbone import Backbone, ShapeSpec
from .swin import drop_path_rates

__all__ = ["ConvNeXt", "ConvNeXtBlock", "LayerNorm2d", "build_convnext_backbone", "CONVNEXT_LR_DECAY_TYPES"]

STAGE_NAMES = ("res2", "res3", "res4", "res5")
EPS = 1e-6
CONVNEXT_LR_DECAY_TYPES = ("layer_wise", "stage_wise")


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an N x C x H x W map (the authors' ``data_format="channels_first"``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    """x + drop_path(gamma * pwconv2(GELU(pwconv1(norm(dwconv7x7(x)))))), the pointwise layers as Linear."""

    def __init__(self, dim: int, drop_path: float = 0.0, layer_scale_init: float = 1e-6) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=EPS)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), float(layer_scale_init))) if layer_scale_init > 0 else None
        self.drop_path = StochasticDepth(drop_path, "row")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pwconv2(self.act(self.pwconv1(self.norm(self.dwconv(x).permute(0, 2, 3, 1)))))
        if self.gamma is not None:
            y = self.gamma * y
        return x + self.drop_path(y.permute(0, 3, 1, 2))


class ConvNeXt(Backbone):
    """ConvNeXt-T/S/B/L/XL with a LayerNorm on each returned stage.

    Args:
        depths: blocks per stage (T: 3, 3, 9, 3; S, B, L, XL: 3, 3, 27, 3).
        dims: channels per stage (T, S: 96..768; B: 128..1024; L: 192..1536; XL: 256..2048).
        drop_path_rate: stochastic depth, rising linearly from 0 to this over all blocks.
        layer_scale_init: initial per-channel scale of each block's output (0: none).
        out_features: among "res2".."res5"; stages past the deepest one are not built.
    """

    def __init__(
        self,
        depths: Sequence[int] = (3, 3, 9, 3),
        dims: Sequence[int] = (96, 192, 384, 768),
        drop_path_rate: float = 0.4,
        layer_scale_init: float = 1.0,
        out_features: Sequence[str] = STAGE_NAMES,
    ) -> None:
        super().__init__()
        depths, dims = tuple(depths), tuple(dims)
        if len(depths) != 4 or len(dims) != 4 or min(depths + dims) < 1:
            raise ValueError(f"MODEL.CONVNEXT.DEPTHS and DIMS must be 4 positive ints each, got {list(depths)} and {list(dims)}")
        unknown = [name for name in out_features if name not in STAGE_NAMES]
        if unknown or not out_features:
            raise ValueError(
                f"MODEL.CONVNEXT.OUT_FEATURES must be a non-empty subset of {STAGE_NAMES}, got {list(out_features)!r}"
            )
        self._out_features = [name for name in STAGE_NAMES if name in out_features]
        self.depths = depths
        num_stages = max(STAGE_NAMES.index(name) for name in self._out_features) + 1
        self.downsample_layers = nn.ModuleList([nn.Sequential(nn.Conv2d(3, dims[0], 4, stride=4), LayerNorm2d(dims[0], eps=EPS))])
        for i in range(1, num_stages):
            self.downsample_layers.append(nn.Sequential(LayerNorm2d(dims[i - 1], eps=EPS), nn.Conv2d(dims[i - 1], dims[i], 2, stride=2)))
        rates = drop_path_rates(drop_path_rate, sum(depths))
        self.stages = nn.ModuleList(
            nn.Sequential(*(ConvNeXtBlock(dims[i], rates[sum(depths[:i]) + j], layer_scale_init) for j in range(depths[i])))
            for i in range(num_stages)
        )
        self._out_shapes: Dict[str, ShapeSpec] = {}
        for i, name in enumerate(STAGE_NAMES[:num_stages]):
            self._out_shapes[name] = ShapeSpec(channels=dims[i], stride=4 * 2**i)
            if name in self._out_features:
                self.add_module(f"norm{i}", LayerNorm2d(dims[i], eps=EPS))
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        """The authors': truncated normal (std 0.02) conv and linear weights, zero biases."""
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    @classmethod
    def from_config(cls, cfg) -> Dict[str, object]:
        """The constructor's arguments from ``cfg.MODEL.CONVNEXT``."""
        c = cfg.MODEL.CONVNEXT
        return dict(depths=tuple(c.DEPTHS), dims=tuple(c.DIMS), drop_path_rate=c.DROP_PATH_RATE,
                    layer_scale_init=c.LAYER_SCALE_INIT, out_features=list(c.OUT_FEATURES))

    def lr_decay_layer_id(self, name: str, decay_type: str, num_layers: int) -> int:
        """The depth of parameter ``name`` (relative to the backbone) for layer-wise LR decay, as
        mmsegmentation's ``LearningRateDecayOptimizerConstructor`` numbers ConvNeXt's parameters.

        "layer_wise" (``num_layers`` is the recipe's, 12 for ConvNeXt-B): the stem is 0, stage 0's blocks
        1, stage 1 and its downsampling 2, stage 2's blocks 3 + block // 3 (its downsampling 3), stage 3
        and its downsampling ``num_layers``. "stage_wise": the downsamplings are 0, stage i is i + 1.
        The output norms count as the head (``num_layers + 1``), as there.
        """
        parts = name.split(".")
        if decay_type == "stage_wise":
            if parts[0] == "downsample_layers":
                return 0
            return int(parts[1]) + 1 if parts[0] == "stages" else num_layers + 1
        if decay_type != "layer_wise":
            raise ValueError(f"SOLVER.LR_DECAY.TYPE for ConvNeXt must be one of {CONVNEXT_LR_DECAY_TYPES}, got {decay_type!r}")
        if parts[0] == "downsample_layers":
            return (0, 2, 3, num_layers)[int(parts[1])]
        if parts[0] == "stages":
            stage, block = int(parts[1]), int(parts[2])
            return (1, 2, 3 + block // 3, num_layers)[stage]
        return num_layers + 1

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        outputs = {}
        for i, (downsample, stage) in enumerate(zip(self.downsample_layers, self.stages)):
            x = stage(downsample(x))
            if STAGE_NAMES[i] in self._out_features:
                outputs[STAGE_NAMES[i]] = getattr(self, f"norm{i}")(x)
        return outputs


@BACKBONE_REGISTRY.register()
def build_convnext_backbone(cfg) -> ConvNeXt:
    """The ConvNeXt described by ``cfg.MODEL.CONVNEXT``."""
    return ConvNeXt(**ConvNeXt.from_config(cfg))
