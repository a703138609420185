"""mmsegmentation's own models, built on CPU without mmcv's compiled ops: the reference of the ``mmseg_*`` converters
(:func:`mmseg_reference`) and the other side of ``tools/benchmark.py --compare-mmseg``.

The documented recipe: mmsegmentation 1.2.2 on mmcv-lite, whose ``mmcv.ops`` has no compiled extension, so a stub
``mmcv.ops`` goes into sys.modules before mmseg is imported (none of the compared models calls an op; one that did
would fail loudly). Models are built from the configs shipped in the wheel with SyncBN as BN and no pretrained
weights. mmsegmentation is not a dependency of this toolbox: ``INSTALL_HINT`` says how to add it.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from .adapters import normalized
from .reference import DEFAULT_SIZES, ParityReference, Requirement, Size

INSTALL_HINT = (
    "--compare-mmseg needs mmsegmentation, installed separately next to this torch and torchvision: "
    "pip install mmengine mmsegmentation==1.2.2 ftfy regex && pip install --no-deps mmcv-lite==2.1.0"
)
INSTALL = "pip install mmengine mmsegmentation==1.2.2 ftfy regex && pip install --no-deps mmcv-lite==2.1.0"


def _stub_mmcv_ops() -> types.ModuleType:
    """``mmcv.ops`` whose every name is a class that fails when built: mmseg imports the ops by name at
    import time, and mmcv-lite has no compiled ops; the compared models never build one."""
    ops = types.ModuleType("mmcv.ops")

    class CompiledOpUnavailable:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("mmcv.ops is stubbed (mmcv-lite has no compiled ops): this mmseg model needs full mmcv")

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return CompiledOpUnavailable

    ops.__getattr__ = __getattr__  # type: ignore[attr-defined]
    return ops


def import_mmseg() -> types.ModuleType:
    """mmseg, imported with its modules registered; ``mmcv.ops`` stubbed first when mmcv has no compiled
    ops. An ImportError of one line (INSTALL_HINT and what is missing) when mmsegmentation is absent."""
    try:
        import mmcv  # noqa: F401
        import mmengine  # noqa: F401
    except ImportError as e:
        raise ImportError(f"{INSTALL_HINT} ({e})") from e
    if "mmcv.ops" not in sys.modules and importlib.util.find_spec("mmcv._ext") is None:
        sys.modules["mmcv.ops"] = _stub_mmcv_ops()
    try:
        with warnings.catch_warnings():  # mmcv-lite's "install mmcv for MultiScaleDeformableAttention"
            warnings.simplefilter("ignore", UserWarning)
            mmseg = importlib.import_module("mmseg")
            from mmseg.utils import register_all_modules

            register_all_modules(init_default_scope=True)  # imports mmseg.models
    except ImportError as e:
        raise ImportError(f"{INSTALL_HINT} ({e})") from e
    return mmseg


def versions() -> Dict[str, str]:
    """The versions of mmsegmentation and its mmcv and mmengine (after import_mmseg)."""
    return {name: importlib.import_module(name).__version__ for name in ("mmseg", "mmcv", "mmengine")}


def _sync_bn_to_bn(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "norm_cfg" and isinstance(value, dict) and value.get("type") == "SyncBN":
                node[key] = dict(value, type="BN")
            else:
                _sync_bn_to_bn(value)
    elif isinstance(node, list):
        for value in node:
            _sync_bn_to_bn(value)


def _heads(model_cfg: dict) -> List[dict]:
    heads = []
    for name in ("decode_head", "auxiliary_head"):
        head = model_cfg.get(name)
        heads += head if isinstance(head, list) else [head] if isinstance(head, dict) else []
    return heads


# mmsegmentation's heads whose classes are not the dataset's: STDC's detail head (edge or not, 2 whatever the data).
OWN_CLASSES = ("STDCHead",)


def set_num_classes(model_cfg: dict, num_classes: int) -> None:
    """``num_classes`` in every head of mmseg's ``model`` dict except those of OWN_CLASSES, which keep their own."""
    for head in _heads(model_cfg):
        if head.get("type") not in OWN_CLASSES:
            head["num_classes"] = num_classes


def mmseg_model_config(config: str) -> Dict[str, Any]:
    """The ``model`` dict of ``config`` (a file, or a path under the wheel's ``.mim/configs``), its ``_base_`` chain
    resolved. Needs import_mmseg() first."""
    import mmseg
    from mmengine import Config

    wheel_configs = os.path.join(os.path.dirname(mmseg.__file__), ".mim", "configs")
    path = config if os.path.isfile(config) else os.path.join(wheel_configs, config)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"mmsegmentation config {config!r} is neither a file nor in {os.path.dirname(path)}")
    loaded = Config.fromfile(path)
    if "model" not in loaded:
        raise ValueError(f"mmsegmentation config {path!r} defines no `model` (nor does its _base_ chain)")
    return loaded.model.to_dict()


def build_mmseg_model(config: str, num_classes: Optional[int] = None, resnet_depth: Optional[int] = None,
                      test_cfg: Optional[dict] = None, init_weights: bool = False) -> nn.Module:
    """mmsegmentation's model of ``config`` with SyncBN as BN and no pretrained weights; ``num_classes`` in every
    head of the dataset's classes (:func:`set_num_classes`: STDC's detail head keeps its 2) and ``resnet_depth`` for
    a ResNet backbone when given (else the config's), ``test_cfg`` (default whole image), mmseg's own
    ``init_weights()`` when ``init_weights``. Needs import_mmseg() first."""
    from mmengine import ConfigDict
    from mmseg.registry import MODELS

    model_cfg = mmseg_model_config(config)
    _sync_bn_to_bn(model_cfg)
    model_cfg.pop("data_preprocessor", None)  # inputs arrive normalized
    model_cfg["pretrained"] = None
    backbone = model_cfg.get("backbone", {})
    backbone.pop("init_cfg", None)
    if resnet_depth is not None and str(backbone.get("type", "")).startswith("ResNet"):
        backbone["depth"] = resnet_depth
    if num_classes is not None:
        set_num_classes(model_cfg, num_classes)
    for head in _heads(model_cfg):
        if isinstance(head.get("init_cfg"), dict) and head["init_cfg"].get("type") == "Pretrained":
            head.pop("init_cfg")
    model_cfg["test_cfg"] = test_cfg or dict(mode="whole")
    with warnings.catch_warnings():  # build_loss deprecation, avg_non_ignore default: theirs, not the user's
        warnings.simplefilter("ignore", UserWarning)
        model = MODELS.build(model_cfg)
        if init_weights:
            quiet_init_weights(model)
    model.test_cfg = ConfigDict(model_cfg["test_cfg"])
    return model


def quiet_init_weights(model: nn.Module) -> None:
    """mmseg's ``init_weights()`` without its log of one line per parameter."""
    from mmengine.logging import MMLogger

    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)


def input_statistics(config: str) -> Tuple[Sequence[float], Sequence[float]]:
    """The RGB mean and std (0..255) the config's data preprocessor normalizes with."""
    preprocessor = mmseg_model_config(config).get("data_preprocessor") or {}
    return tuple(preprocessor.get("mean", (0.0, 0.0, 0.0))), tuple(preprocessor.get("std", (1.0, 1.0, 1.0)))


def image_metas(images: torch.Tensor) -> List[dict]:
    """mmseg's per-image meta information for a batch of unpadded images."""
    size = tuple(images.shape[-2:])
    return [dict(img_shape=size, ori_shape=size, pad_shape=size) for _ in range(images.shape[0])]


def mmseg_logits(theirs: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """mmseg's ``inference`` (its test_cfg's whole or slide mode) on normalized images: logits at their size.
    mmseg's own input checks (assertions, e.g. UNet's size divisible by 16) become a one-line ValueError."""
    try:
        return theirs.inference(images, image_metas(images))
    except AssertionError as e:
        raise ValueError(f"mmseg's model refused the {tuple(images.shape[-2:])} input: {e}") from e


def mmseg_checkpoint(model: nn.Module) -> Dict[str, Any]:
    """The file as mmsegmentation's trainer saves it: ``meta`` and ``state_dict``."""
    import mmseg

    return {"meta": {"mmseg_version": mmseg.__version__}, "state_dict": model.state_dict()}


def mmseg_reference(converter: str, config: str, *, name: str = "", num_classes: Optional[int] = None,
                    opts: Sequence[Any] = (), sizes: Sequence[Size] = DEFAULT_SIZES, notes: str = "",
                    **kwargs: Any) -> ParityReference:
    """The parity entry of an ``mmseg_*`` converter: mmsegmentation's model of ``config`` (under the wheel's
    ``.mim/configs``; with ``num_classes`` in its heads when given) with its own random initialisation, saved as its
    trainer saves it, normalized by its data preprocessor and run through its ``inference`` (whole image, logits
    resized to the input by its decode head's ``align_corners``). ``kwargs`` go to :class:`ParityReference` (e.g.
    ``scope``, ``ours``, ``compared``)."""
    statistics: Dict[str, Any] = {}

    def build(_root: Optional[str]) -> nn.Module:
        import_mmseg()
        statistics["mean"], statistics["std"] = input_statistics(config)
        return build_mmseg_model(config, num_classes=num_classes, init_weights=True)

    def logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
        return mmseg_logits(model, normalized(images, statistics["mean"], statistics["std"]))

    return ParityReference(
        name=name or converter, converter=converter,
        reference=f"mmsegmentation's {config}" + (f" with {num_classes} classes" if num_classes else ""),
        requires=Requirement(modules=("mmseg",), install=INSTALL), build=build, logits=logits,
        checkpoint=mmseg_checkpoint, opts=opts, sizes=sizes, notes=notes, **kwargs)
