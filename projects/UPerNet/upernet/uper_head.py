"""The UPerNet decode head (Xiao et al., "Unified Perceptual Parsing for Scene Understanding", ECCV 2018),
as mmsegmentation's ``UPerHead``: pyramid pooling on the coarsest map, an FPN over all maps, their levels
fused by a 3x3 conv."""
from __future__ import annotations

from typing import Dict, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.backbone.convnext import LayerNorm2d
from seg_engine.modeling.layers import ConvNormAct, PyramidPooling


@HEAD_REGISTRY.register()
class UPerNetHead(nn.Module):
    """Logits at the finest input's resolution from any backbone's maps (finest first).

    The coarsest map goes through pyramid pooling (``ppm``: [x, pooled branches]) and a 3x3 conv-norm-ReLU
    (``bottleneck``) to ``channels``; every other map through a 1x1 conv-norm-ReLU (``lateral_convs``).
    From the top, each level adds the bilinear up-sampling of the level above (the running sum); each
    level but the top then goes through a 3x3 conv-norm-ReLU (``fpn_convs``); all are up-sampled to the
    finest level, concatenated finest first and fused by a 3x3 conv-norm-ReLU (``fpn_bottleneck``);
    then dropout and a 1x1 classifier.

    Args:
        input_shape: the shapes of the maps the backbone (or neck) returns.
        in_features: the maps read, finest first (at least two).
        num_classes: classifier outputs.
        channels: width of every branch and level (512 in mmsegmentation and transformers, 256 in smp).
        pool_scales: grid sizes of the pyramid pooling.
        norm: a name for :func:`seg_engine.modeling.layers.norm.get_norm`.
        dropout: Dropout2d before the classifier.
        align_corners: of every bilinear resize inside the head.
        input_norm: a channels LayerNorm (eps 1e-6) on every input map first (``input_norms``; smp).
    """

    def __init__(
        self,
        input_shape: Dict[str, ShapeSpec],
        in_features: Sequence[str],
        num_classes: int,
        channels: int = 512,
        pool_scales: Sequence[int] = (1, 2, 3, 6),
        norm: str = "BN",
        dropout: float = 0.1,
        align_corners: bool = False,
        input_norm: bool = False,
    ) -> None:
        super().__init__()
        self.in_features = list(in_features)
        missing = [name for name in self.in_features if name not in input_shape]
        if missing or len(self.in_features) < 2:
            raise ValueError(
                f"MODEL.HEAD.IN_FEATURES {self.in_features} must name at least two of the maps {sorted(input_shape)}"
            )
        strides = [input_shape[name].stride for name in self.in_features]
        if strides != sorted(strides):
            raise ValueError(f"MODEL.HEAD.IN_FEATURES must go from the finest map to the coarsest, got strides {strides}")
        in_channels = [input_shape[name].channels for name in self.in_features]
        self.align_corners = align_corners
        self.input_norms = nn.ModuleList(LayerNorm2d(c, eps=1e-6) for c in in_channels) if input_norm else None
        self.ppm = PyramidPooling(in_channels[-1], channels, tuple(pool_scales), norm, align_corners)
        self.bottleneck = ConvNormAct(self.ppm.out_channels, channels, 3, norm=norm)
        self.lateral_convs = nn.ModuleList(ConvNormAct(c, channels, 1, norm=norm) for c in in_channels[:-1])
        self.fpn_convs = nn.ModuleList(ConvNormAct(channels, channels, 3, norm=norm) for _ in in_channels[:-1])
        self.fpn_bottleneck = ConvNormAct(len(in_channels) * channels, channels, 3, norm=norm)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(channels, num_classes, kernel_size=1)

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> Dict[str, object]:
        """The constructor's arguments from ``head_cfg`` (MODEL.HEAD: IN_FEATURES, CHANNELS, NORM, DROPOUT),
        MODEL.UPERNET and the model-wide MODEL.NUM_CLASSES and MODEL.ALIGN_CORNERS."""
        u = cfg.MODEL.UPERNET
        return dict(
            input_shape=input_shape, in_features=list(head_cfg.IN_FEATURES), num_classes=cfg.MODEL.NUM_CLASSES,
            channels=head_cfg.CHANNELS, pool_scales=tuple(u.POOL_SCALES), norm=head_cfg.NORM, dropout=head_cfg.DROPOUT,
            align_corners=cfg.MODEL.ALIGN_CORNERS if u.ALIGN_CORNERS is None else bool(u.ALIGN_CORNERS),
            input_norm=u.INPUT_NORM,
        )

    def _resize(self, x: torch.Tensor, size) -> torch.Tensor:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=self.align_corners)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        inputs = [features[name] for name in self.in_features]
        if self.input_norms is not None:
            inputs = [norm(x) for norm, x in zip(self.input_norms, inputs)]
        levels = [conv(x) for conv, x in zip(self.lateral_convs, inputs)]
        levels.append(self.bottleneck(self.ppm(inputs[-1])))
        for i in range(len(levels) - 1, 0, -1):
            levels[i - 1] = levels[i - 1] + self._resize(levels[i], levels[i - 1].shape[-2:])
        outs = [conv(level) for conv, level in zip(self.fpn_convs, levels)] + [levels[-1]]
        size = outs[0].shape[-2:]
        fused = self.fpn_bottleneck(torch.cat([outs[0]] + [self._resize(x, size) for x in outs[1:]], dim=1))
        return self.classifier(self.dropout(fused))

