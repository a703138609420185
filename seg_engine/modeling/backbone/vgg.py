"""VGG-11/13/16/19 with or without BatchNorm, in torchvision's key layout (``features.N.*``).

The convolutional body is ``self.features``, an ``nn.Sequential`` built exactly as torchvision's
``make_layers`` (conv, [norm], ReLU, ..., MaxPool2d), so torchvision's ImageNet checkpoints load
unchanged (the Checkpointer puts them under ``backbone.``; the classifier is left out, or becomes
fc6/fc7 through the ``torchvision_vgg`` converter). Options for the segmentation nets built on it:

* ``first_padding``: conv1_1's padding (100 in the FCN Caffe nets, 1 otherwise);
* ``ceil_mode``: Caffe's pooling rounds up (FCN, SegNet); torchvision's rounds down;
* ``fc_as_conv``: ``fc6`` (7x7 conv, no padding) and ``fc7`` (1x1 conv) of ``fc_channels`` (4096)
  after pool5, each followed by ReLU and Dropout(``fc_dropout``) as torchvision's classifier; their
  ImageNet weights are ``classifier.0`` and ``classifier.3`` reshaped (``torchvision_vgg`` converter);
* ``return_indices``: every pool also returns its argmax indices, for max-unpooling decoders (SegNet).

Outputs (``out_features``), with strides for the standard padding of 1:

* ``"convK"`` (K = 1..5): the last ReLU of block K, the map pool K reads (stride 2**(K-1));
* ``"poolK"``: the output of pool K (stride 2**K);
* ``"fc7"``: after fc7's ReLU and dropout (stride 32; requires ``fc_as_conv``).

Unpooling (SegNet): with ``return_indices`` the output also holds ``"poolK_indices"`` for every pool
that ran (K = 1 .. the deepest block built), whatever ``out_features`` says. A decoder restores block K
at its exact pre-pool size, which ceil-mode pooling of odd sizes makes impossible to infer, by asking
for ``"convK"`` too and passing its size::

    up = F.max_unpool2d(x, feats["pool4_indices"], 2, 2, output_size=feats["conv4"].shape[-2:])

(``"convK"`` is the tensor pool K reads, so returning it costs no memory.)
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import torch
from torch import nn

from ..layers.norm import NORM_NAMES, freeze_batchnorm, get_norm
from ..registry import BACKBONE_REGISTRY
from .backbone import Backbone, ShapeSpec

__all__ = ["VGG", "VGG_BLOCKS", "build_vgg_backbone"]

# Number of 3x3 convs in each of the five blocks (torchvision's configurations "A", "B", "D", "E").
VGG_BLOCKS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
# Block widths are base_width times these (64: 64, 128, 256, 512, 512).
WIDTH_MULTIPLIERS = (1, 2, 4, 8, 8)
FEATURE_NAMES = tuple(f"{kind}{k}" for k in range(1, 6) for kind in ("conv", "pool")) + ("fc7",)


class VGG(Backbone):
    """VGG's convolutional body returning named maps; see the module docstring for the options.

    Args:
        depth: 11, 13, 16 or 19.
        norm: "" (torchvision's ``vggN``) or a :func:`get_norm` name ("BN": ``vggN_bn``).
        base_width: channels of block 1 (64 in the standard nets; small values make narrow test nets).
        ceil_mode, return_indices: of every 2x2 max pool.
        first_padding: padding of the first conv.
        fc_as_conv, fc_channels, fc_dropout: fc6/fc7 as convolutions.
        out_features: names among FEATURE_NAMES; blocks past the deepest one are not built.
        freeze_at: 0 trains everything; k freezes blocks 1..k (BatchNorms become FrozenBatchNorm2d).
    """

    def __init__(
        self,
        depth: int = 16,
        norm: str = "",
        base_width: int = 64,
        ceil_mode: bool = False,
        return_indices: bool = False,
        first_padding: int = 1,
        fc_as_conv: bool = False,
        fc_channels: int = 4096,
        fc_dropout: float = 0.5,
        out_features: Sequence[str] = ("pool5",),
        freeze_at: int = 0,
    ) -> None:
        super().__init__()
        if depth not in VGG_BLOCKS:
            raise ValueError(f"MODEL.VGG.DEPTH (depth) must be one of {tuple(VGG_BLOCKS)}, got {depth!r}")
        if (norm or "") not in NORM_NAMES:
            raise ValueError(f"MODEL.VGG.NORM (norm) must be one of {NORM_NAMES}, got {norm!r}")
        if not isinstance(base_width, int) or base_width < 1:
            raise ValueError(f"MODEL.VGG.BASE_WIDTH (base_width) must be a positive int, got {base_width!r}")
        if not isinstance(first_padding, int) or first_padding < 0:
            raise ValueError(f"MODEL.VGG.FIRST_PADDING (first_padding) must be an int >= 0, got {first_padding!r}")
        unknown = [name for name in out_features if name not in FEATURE_NAMES]
        if unknown or not out_features:
            raise ValueError(
                f"MODEL.VGG.OUT_FEATURES (out_features) must be a non-empty subset of {FEATURE_NAMES}, "
                f"got {list(out_features)!r}"
            )
        if "fc7" in out_features and not fc_as_conv:
            raise ValueError("MODEL.VGG.OUT_FEATURES asks for 'fc7', which needs MODEL.VGG.FC_AS_CONV True")
        if not 0 <= freeze_at <= 5:
            raise ValueError(f"MODEL.BACKBONE.FREEZE_AT (freeze_at) must be in 0..5 for VGG, got {freeze_at!r}")

        self._out_features = [name for name in FEATURE_NAMES if name in out_features]
        self.return_indices = return_indices
        deepest = self._out_features[-1]
        num_blocks = 5 if deepest == "fc7" or fc_as_conv else int(deepest[-1])

        layers: List[nn.Module] = []
        self._out_shapes: Dict[str, ShapeSpec] = {}
        # Index in ``features`` of each block's last ReLU ("convK") and of its pool ("poolK").
        self._taps: Dict[int, str] = {}
        self._block_ends: List[int] = []
        in_channels, stride = 3, 1
        for block, num_convs in enumerate(VGG_BLOCKS[depth][:num_blocks], start=1):
            width = base_width * WIDTH_MULTIPLIERS[block - 1]
            for i in range(num_convs):
                padding = first_padding if not layers else 1
                layers.append(nn.Conv2d(in_channels, width, 3, padding=padding))
                if norm:
                    layers.append(get_norm(norm, width))
                layers.append(nn.ReLU(inplace=True))
                in_channels = width
            self._taps[len(layers) - 1] = f"conv{block}"
            self._out_shapes[f"conv{block}"] = ShapeSpec(channels=width, stride=stride)
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=ceil_mode, return_indices=return_indices))
            stride *= 2
            self._taps[len(layers) - 1] = f"pool{block}"
            self._out_shapes[f"pool{block}"] = ShapeSpec(channels=width, stride=stride)
            self._block_ends.append(len(layers))
        self.features = nn.Sequential(*layers)

        self.fc6 = self.fc7 = None
        if fc_as_conv:
            self.fc6 = nn.Sequential(nn.Conv2d(in_channels, fc_channels, 7), nn.ReLU(inplace=True), nn.Dropout(fc_dropout))
            self.fc7 = nn.Sequential(nn.Conv2d(fc_channels, fc_channels, 1), nn.ReLU(inplace=True), nn.Dropout(fc_dropout))
            self._out_shapes["fc7"] = ShapeSpec(channels=fc_channels, stride=stride)
        self._init_weights()
        self._freeze(freeze_at)

    def _init_weights(self) -> None:
        """torchvision's VGG initialisation (fc6/fc7 as its Linear classifier layers)."""
        for m in self.features.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.SyncBatchNorm, nn.GroupNorm)) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for fc in (self.fc6, self.fc7):
            if fc is not None:
                nn.init.normal_(fc[0].weight, 0, 0.01)
                nn.init.zeros_(fc[0].bias)

    def _freeze(self, freeze_at: int) -> None:
        """Stop gradients and statistics updates of blocks 1..freeze_at."""
        if freeze_at <= 0:
            return
        end = self._block_ends[min(freeze_at, len(self._block_ends)) - 1]
        for i in range(end):
            for p in self.features[i].parameters():
                p.requires_grad_(False)
            self.features[i] = freeze_batchnorm(self.features[i])

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        outputs: Dict[str, torch.Tensor] = {}
        for i, layer in enumerate(self.features):
            x = layer(x)
            if isinstance(x, tuple):
                x, indices = x
                outputs[f"{self._taps[i]}_indices"] = indices
            name = self._taps.get(i)
            if name in self._out_features:
                outputs[name] = x
        if self.fc6 is not None and "fc7" in self._out_features:
            outputs["fc7"] = self.fc7(self.fc6(x))
        return outputs


@BACKBONE_REGISTRY.register()
def build_vgg_backbone(cfg) -> VGG:
    """The VGG described by ``cfg.MODEL.VGG`` and ``cfg.MODEL.BACKBONE.FREEZE_AT``."""
    v = cfg.MODEL.VGG
    return VGG(
        depth=v.DEPTH,
        norm=v.NORM,
        base_width=v.BASE_WIDTH,
        ceil_mode=v.CEIL_MODE,
        return_indices=v.RETURN_INDICES,
        first_padding=v.FIRST_PADDING,
        fc_as_conv=v.FC_AS_CONV,
        fc_channels=v.FC_CHANNELS,
        fc_dropout=v.FC_DROPOUT,
        out_features=list(v.OUT_FEATURES),
        freeze_at=cfg.MODEL.BACKBONE.FREEZE_AT,
    )
