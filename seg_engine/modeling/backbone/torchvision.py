"""Any torchvision classifier as a named-feature backbone, through ``torchvision.models.feature_extraction``.

The classifier is traced with ``create_feature_extractor`` up to its deepest requested stage; the
traced submodules keep torchvision's names (``layer1.0.conv1``, ``features.3.0.block``...) and are
registered directly on this module, so a torchvision ImageNet checkpoint loads through MODEL.WEIGHTS
(the Checkpointer puts classifier-only keys under ``backbone.``; the unused classifier is reported
and skipped). Stages are named by stride like the core ResNet: ``res2``..``res5`` end at strides
4, 8, 16, 32 of the undilated network (the last block at each stride); their channels and actual
strides are measured with a dummy forward when the backbone is built.
"""
from __future__ import annotations

import importlib
import types
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torchvision
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor

from ..layers.norm import freeze_batchnorm
from ..registry import BACKBONE_REGISTRY
from .backbone import Backbone, ShapeSpec

__all__ = ["TorchvisionBackbone", "build_torchvision_backbone", "stage_nodes"]

STAGE_NAMES = ("res2", "res3", "res4", "res5")
STAGE_STRIDES = {"res2": 4, "res3": 8, "res4": 16, "res5": 32}
OUTPUT_STRIDES = (8, 16, 32)
_PROBE_SIZE = 64  # divisible by 32, small enough that measuring costs little


def _dilation_kwargs(name: str, output_stride: int) -> Dict[str, object]:
    """The builder arguments that dilate ``name`` to ``output_stride`` (ResNet-style), or a ValueError."""
    if output_stride not in OUTPUT_STRIDES:
        raise ValueError(f"MODEL.TORCHVISION.OUTPUT_STRIDE must be one of {OUTPUT_STRIDES}, got {output_stride!r}")
    if output_stride == 32:
        return {}
    family = torchvision.models.get_model_builder(name).__module__.rsplit(".", 1)[-1]
    if family == "resnet" and name not in ("resnet18", "resnet34"):  # their BasicBlock cannot dilate
        return {"replace_stride_with_dilation": [False, output_stride == 8, True]}
    if family == "mobilenetv3" and output_stride == 16:
        return {"dilated": True}
    supported = "8/16 for resnet50+, resnext*, wide_resnet*; 16 for mobilenet_v3_*"
    raise ValueError(
        f"MODEL.TORCHVISION.OUTPUT_STRIDE {output_stride} is not supported by {name!r} "
        f"(torchvision dilates only: {supported}); use 32"
    )


def _linear_path(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """The classifier's feature layers in execution order, as (qualified name, module), before pooling."""
    if isinstance(model, torchvision.models.ResNet):
        names = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]
        return [(n, getattr(model, n)) for n in names]
    if isinstance(model, torchvision.models.RegNet):
        return [("stem", model.stem)] + [(f"trunk_output.{n}", m) for n, m in model.trunk_output.named_children()]
    features = getattr(model, "features", None)
    if isinstance(features, nn.Sequential):  # MobileNet, EfficientNet, ConvNeXt, VGG, DenseNet, ...
        return [(f"features.{n}", m) for n, m in features.named_children()]
    raise ValueError(
        f"MODEL.TORCHVISION.NAME: cannot find the stages of {type(model).__name__}; "
        "name its graph nodes in MODEL.TORCHVISION.RETURN_NODES"
    )


def _portable_code(graph: torch.fx.Graph) -> Tuple[str, Dict[str, object]]:
    """A traced graph's forward as (source, globals) with modules replaced by their names, so it pickles."""
    code = graph.python_code(root_module="self")
    portable = {k: ("module", v.__name__) if isinstance(v, types.ModuleType) else v for k, v in code.globals.items()}
    return code.src, portable


def _compile_code(src: str, portable: Dict[str, object]) -> Callable:
    namespace = {k: importlib.import_module(v[1]) if isinstance(v, tuple) and len(v) == 2 and v[0] == "module" else v
                 for k, v in portable.items()}
    exec(compile(src, "<torchvision backbone>", "exec"), namespace)  # noqa: S102 - code fx generated from the model
    return namespace["forward"]


def _meta_call(module: nn.Module, x: torch.Tensor):
    """``module(x)`` with every parameter and buffer on the meta device: output shapes without compute."""
    tensors = {k: torch.empty_like(v, device="meta") for k, v in module.named_parameters()}
    tensors.update({k: torch.empty_like(v, device="meta") for k, v in module.named_buffers()})
    return torch.func.functional_call(module, tensors, (x,))


@torch.no_grad()
def stage_nodes(model: nn.Module) -> Dict[str, str]:
    """``res2``..``res5`` -> the last layer of ``model`` (undilated) whose output has stride 4..32.

    Runs on meta tensors: shapes only, whatever device the model is on.
    """
    was_training = model.training
    model.eval()
    x = torch.empty(1, 3, _PROBE_SIZE, _PROBE_SIZE, device="meta")
    last_at_stride: Dict[int, str] = {}
    for name, module in _linear_path(model):
        x = _meta_call(module, x)
        last_at_stride[_PROBE_SIZE // x.shape[-1]] = name
    model.train(was_training)
    return {stage: last_at_stride[stride] for stage, stride in STAGE_STRIDES.items() if stride in last_at_stride}


class TorchvisionBackbone(Backbone):
    """A torchvision classifier (``torchvision.models.get_model(name)``) returning ``res2``..``res5``.

    Args:
        name: a torchvision classification model name (``torchvision.models.list_models``).
        out_features: names among ``res2``..``res5``.
        output_stride: 8, 16 or 32; 8/16 dilate ResNet/ResNeXt/Wide ResNet, 16 MobileNetV3.
        return_nodes: graph node names (``get_graph_node_names``), one per ``out_features`` entry,
            replacing the automatic stage ends (for classifiers whose stages it cannot find).
        freeze_at: 0 trains everything; 1 freezes the layers at stride 2 or less; k >= 2 freezes
            everything up to the end of ``res_k``. Frozen BatchNorms become FrozenBatchNorm2d.
        model_kwargs: more builder arguments (e.g. ``width_mult``); weights are never downloaded.
    """

    def __init__(
        self,
        name: str,
        out_features: Sequence[str] = STAGE_NAMES,
        output_stride: int = 32,
        return_nodes: Sequence[str] = (),
        freeze_at: int = 0,
        model_kwargs: Optional[Dict[str, object]] = None,
    ):
        super().__init__()
        available = torchvision.models.list_models(module=torchvision.models)
        if name not in available:
            raise ValueError(
                f"MODEL.TORCHVISION.NAME {name!r} is not a torchvision classification model "
                f"(torchvision.models.list_models(module=torchvision.models) lists {len(available)})"
            )
        unknown = [f for f in out_features if f not in STAGE_NAMES]
        if unknown or not out_features:
            raise ValueError(
                f"MODEL.TORCHVISION.OUT_FEATURES must be a non-empty subset of {STAGE_NAMES}, got {list(out_features)!r}"
            )
        if return_nodes and len(return_nodes) != len(out_features):
            raise ValueError(
                f"MODEL.TORCHVISION.RETURN_NODES must name one node per OUT_FEATURES entry ({list(out_features)}), "
                f"got {list(return_nodes)!r}"
            )
        if not 0 <= freeze_at <= len(STAGE_NAMES) + 1:
            raise ValueError(f"MODEL.BACKBONE.FREEZE_AT must be in 0..5, got {freeze_at!r}")
        kwargs = dict(model_kwargs or {})
        dilation = _dilation_kwargs(name, output_stride)
        self._out_features = [f for f in STAGE_NAMES if f in out_features] if not return_nodes else list(out_features)
        model = torchvision.models.get_model(name, weights=None, **kwargs, **dilation)
        if return_nodes:
            nodes = dict(zip(out_features, return_nodes))
        else:
            if dilation:  # stages are found in the undilated layout (ResNet, MobileNetV3: meta-buildable)
                with torch.device("meta"):
                    found = stage_nodes(torchvision.models.get_model(name, weights=None, **kwargs))
            else:
                found = stage_nodes(model)
            missing = [f for f in self._out_features if f not in found]
            if missing:
                raise ValueError(
                    f"MODEL.TORCHVISION.OUT_FEATURES {missing} do not exist in {name!r} (its stages: {sorted(found)})"
                )
            nodes = {f: found[f] for f in self._out_features}
        self._return_nodes = nodes
        extractor = create_feature_extractor(model, return_nodes={node: f for f, node in nodes.items()})
        self._adopt(extractor)
        self._out_shapes = self._measure()
        self._freeze(freeze_at)

    def _adopt(self, extractor: nn.Module) -> None:
        """Take the traced submodules and attributes as this module's own, and the traced forward code.

        The traced code reads everything through ``self.<name>``, so running it with this module as
        ``self`` keeps torchvision's parameter names (no ``body.`` prefix) and follows later
        replacements (frozen BatchNorms). The train and eval graphs may differ, both are kept.
        """
        for child_name, child in extractor.named_children():
            self.add_module(child_name, child)
        for graph in (extractor.train_graph, extractor.eval_graph):
            for node in graph.nodes:
                if node.op == "get_attr" and "." not in node.target and not hasattr(self, node.target):
                    value = getattr(extractor, node.target)
                    if isinstance(value, nn.Parameter):
                        self.register_parameter(node.target, value)
                    else:
                        self.register_buffer(node.target, value, persistent=False)
        # Kept as source (picklable) and compiled here and after unpickling (see __setstate__).
        self._fx_code = {mode: _portable_code(graph) for mode, graph in
                         (("train", extractor.train_graph), ("eval", extractor.eval_graph))}
        self._compile()

    def _compile(self) -> None:
        self._train_forward: Callable = _compile_code(*self._fx_code["train"])
        self._eval_forward: Callable = _compile_code(*self._fx_code["eval"])

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_train_forward", None)
        state.pop("_eval_forward", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._compile()

    @torch.no_grad()
    def _measure(self) -> Dict[str, ShapeSpec]:
        """Channels and strides of the outputs, by running the traced code on meta tensors (free)."""
        was_training = self.training
        self.eval()
        try:
            outputs = _meta_call(self, torch.empty(1, 3, _PROBE_SIZE, _PROBE_SIZE, device="meta"))
        finally:
            self.train(was_training)
        return {f: ShapeSpec(channels=y.shape[1], stride=_PROBE_SIZE // y.shape[-1]) for f, y in outputs.items()}

    def _freeze(self, freeze_at: int) -> None:
        """Freeze top-level-path entries in order: at stride <= 2 (freeze_at 1), through res_k (k >= 2)."""
        if freeze_at <= 0:
            return
        last = None if freeze_at == 1 else self._return_nodes.get(STAGE_NAMES[freeze_at - 2])
        if freeze_at >= 2 and last is None:
            raise ValueError(f"MODEL.BACKBONE.FREEZE_AT {freeze_at} needs {STAGE_NAMES[freeze_at - 2]} in OUT_FEATURES")
        for name, module in list(self._path_modules()):
            if freeze_at == 1 and self._stride_of(name) > 2:
                break
            for p in module.parameters():
                p.requires_grad_(False)
            self._replace(name, freeze_batchnorm(module))
            if name == last:
                break

    def _path_modules(self) -> List[Tuple[str, nn.Module]]:
        """The traced stage-level modules in execution order (the same layout :func:`_linear_path` walks)."""
        found = []
        for name, module in self.named_modules():
            parts = name.split(".")
            top_level = len(parts) == 1 and name not in ("", "features", "trunk_output")
            in_container = len(parts) == 2 and parts[0] in ("features", "trunk_output")
            if top_level or in_container:
                found.append((name, module))
        return found

    @torch.no_grad()
    def _stride_of(self, name: str) -> int:
        """Stride after the path entry ``name``, by running the path on a probe (freeze_at 1 only)."""
        x = torch.empty(1, 3, _PROBE_SIZE, _PROBE_SIZE, device="meta")
        was_training = self.training
        self.eval()
        for entry, module in self._path_modules():
            x = _meta_call(module, x)
            if entry == name:
                break
        self.train(was_training)
        return _PROBE_SIZE // x.shape[-1]

    def _replace(self, name: str, module: nn.Module) -> None:
        parent, _, child = name.rpartition(".")
        setattr(self.get_submodule(parent) if parent else self, child, module)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        outputs = (self._train_forward if self.training else self._eval_forward)(self, x)
        return {f: outputs[f] for f in self._out_features}


@BACKBONE_REGISTRY.register()
def build_torchvision_backbone(cfg) -> TorchvisionBackbone:
    """The classifier described by ``cfg.MODEL.TORCHVISION`` and ``cfg.MODEL.BACKBONE.FREEZE_AT``."""
    t = cfg.MODEL.TORCHVISION
    return TorchvisionBackbone(
        name=t.NAME,
        out_features=list(t.OUT_FEATURES),
        output_stride=t.OUTPUT_STRIDE,
        return_nodes=list(t.RETURN_NODES),
        freeze_at=cfg.MODEL.BACKBONE.FREEZE_AT,
    )
