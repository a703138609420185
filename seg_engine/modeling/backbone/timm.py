"""Any timm model as a named-feature backbone, through ``timm.create_model(features_only=True)``.

timm is an optional extra (``pip install seg_engine[timm]``): this module imports without it and
the backbone raises an ImportError naming the extra when built. Features are named by the stride
where they end in the undilated network, like the core ResNet: ``res1``..``res5`` = 2, 4, 8, 16, 32
(``res6`` = 64 where a model has it); channels and actual strides come from timm's ``feature_info``.
Weights: ``MODEL.TIMM.PRETRAINED_FILE`` loads a local timm checkpoint through timm's own
loader (it adapts the classifier's keys to the feature model); nothing is downloaded.
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence

import torch

from ..registry import BACKBONE_REGISTRY
from .backbone import Backbone, ShapeSpec

__all__ = ["TimmBackbone", "build_timm_backbone", "nominal_strides"]

OUTPUT_STRIDES = (8, 16, 32)


def _import_timm():
    try:
        import timm
    except ImportError as e:
        raise ImportError(
            "MODEL.BACKBONE.NAME build_timm_backbone needs timm: pip install 'seg_engine[timm]' (or pip install timm)"
        ) from e
    return timm


def nominal_strides(reductions: Sequence[int]) -> List[int]:
    """The undilated stride of each feature: a feature that did not reduce past its predecessor
    (dilated to the output stride) is counted as one more halving, as every timm stage halves."""
    nominal: List[int] = []
    for i, r in enumerate(reductions):
        nominal.append(r if i == 0 or r > reductions[i - 1] else nominal[-1] * 2)
    return nominal


def _feature_name(stride: int) -> str:
    return f"res{int(math.log2(stride))}"


class TimmBackbone(Backbone):
    """``timm.create_model(name, features_only=True, out_indices=..., output_stride=...)`` as res<k> features.

    Args:
        name: a timm model name (``timm.list_models()``).
        out_features: names ``res1``..``res6`` among the model's features (stride 2**k).
        output_stride: 8, 16 or 32 (timm dilates the deeper stages where the model supports it).
        pretrained_file: a local timm checkpoint to load ("" for random weights).
    """

    def __init__(
        self, name: str, out_features: Sequence[str] = ("res2", "res3", "res4", "res5"),
        output_stride: int = 32, pretrained_file: str = "",
    ):
        super().__init__()
        timm = _import_timm()
        if not timm.is_model(name):
            raise ValueError(f"MODEL.TIMM.NAME {name!r} is not a timm model (see timm.list_models())")
        if output_stride not in OUTPUT_STRIDES:
            raise ValueError(f"MODEL.TIMM.OUTPUT_STRIDE must be one of {OUTPUT_STRIDES}, got {output_stride!r}")
        if not out_features:
            raise ValueError("MODEL.TIMM.OUT_FEATURES must name at least one feature, got []")
        available = self._available_features(timm, name)
        unknown = [f for f in out_features if f not in available]
        if unknown:
            raise ValueError(
                f"MODEL.TIMM.OUT_FEATURES {unknown} are not features of {name!r} (it has {list(available)})"
            )
        indices = sorted(available[f] for f in out_features)
        kwargs = dict(features_only=True, out_indices=tuple(indices))
        if output_stride != 32:
            kwargs["output_stride"] = output_stride
        if pretrained_file:
            kwargs.update(pretrained=True, pretrained_cfg_overlay=dict(file=pretrained_file))
        try:
            self.body = timm.create_model(name, **kwargs)
        except (TypeError, AssertionError, ValueError) as e:  # e.g. a model that cannot dilate
            raise ValueError(
                f"timm cannot build {name!r} with MODEL.TIMM.OUTPUT_STRIDE {output_stride} and "
                f"OUT_FEATURES {list(out_features)}: {e}"
            ) from e
        by_index = {i: f for f, i in available.items()}
        self._out_features = [by_index[i] for i in indices]
        info = self.body.feature_info
        self._out_shapes: Dict[str, ShapeSpec] = {
            f: ShapeSpec(channels=c, stride=r)
            for f, c, r in zip(self._out_features, info.channels(), info.reduction())
        }

    @staticmethod
    def _available_features(timm, name: str) -> Dict[str, int]:
        """feature name -> timm feature index, from the undilated model's feature_info (built on meta)."""
        try:
            with torch.device("meta"):
                probe = timm.create_model(name, features_only=True)
        except Exception:  # noqa: BLE001 - some constructors compute on tensors; build the probe for real
            probe = timm.create_model(name, features_only=True)
        info = probe.feature_info
        all_reductions = [entry["reduction"] for entry in info.info]
        return {_feature_name(s): i for i, s in enumerate(nominal_strides(all_reductions))}

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        return dict(zip(self._out_features, self.body(x)))


@BACKBONE_REGISTRY.register()
def build_timm_backbone(cfg) -> TimmBackbone:
    """The timm model described by ``cfg.MODEL.TIMM``."""
    t = cfg.MODEL.TIMM
    if cfg.MODEL.BACKBONE.FREEZE_AT:
        raise ValueError(
            f"MODEL.BACKBONE.FREEZE_AT {cfg.MODEL.BACKBONE.FREEZE_AT} is not supported by build_timm_backbone; use 0"
        )
    return TimmBackbone(
        name=t.NAME, out_features=list(t.OUT_FEATURES), output_stride=t.OUTPUT_STRIDE, pretrained_file=t.PRETRAINED_FILE
    )
