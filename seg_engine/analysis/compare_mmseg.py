"""The same model through mmsegmentation's own code, for ``tools/benchmark.py --compare-mmseg``.

Which mmsegmentation config builds the model a recipe describes (``seg_engine.interop.MMSEG_MODELS``, or a config file
given by the user), building it on CPU without mmcv's compiled ops (stubbed: none of these models calls
one) and with SyncBN as BN, loading its random weights into ours through the registered converter, and
the check that both give the same logits, which must pass before any speed is compared. mmsegmentation
is not a dependency of this toolbox: ``INSTALL_HINT`` says how to add it.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import types
import warnings
from typing import Any, Dict, List, Tuple

import torch
from torch import nn

from ..checkpoint import WEIGHT_CONVERTERS, convert_weights
from ..interop import MMSEG_MODELS
from ..modeling.meta_arch.inference import InferenceProtocol, protocol_scores
from ..solver import build_optimizer
from ..utils.parity import logits_difference
from ..utils.testing import randomize_batchnorm
from .benchmark import interleaved_timings, speed_ratios, synthetic_batch

INSTALL_HINT = (
    "--compare-mmseg needs mmsegmentation, installed separately next to this torch and torchvision: "
    "pip install mmengine mmsegmentation==1.2.2 ftfy regex && pip install --no-deps mmcv-lite==2.1.0"
)
LOGIT_TOLERANCE = 1e-4  # of the largest |logit|: the parity standard of the converters


def select_mmseg_model(cfg, weights_format: str = "", mmseg_config: str = "") -> Tuple[str, str]:
    """(converter, mmseg config) for the recipe ``cfg``: the converter named by ``weights_format``, else
    MODEL.WEIGHTS_FORMAT when it is paired in MMSEG_MODELS, else the pairing of the recipe's decode head and neck
    (the pairings are registered by the projects' interop modules); the config ``mmseg_config`` (a file) when
    given, else the pairing's. Raises a one-line ValueError/KeyError/FileNotFoundError when no pairing is known."""
    if weights_format and weights_format not in WEIGHT_CONVERTERS:
        known = ", ".join(sorted(k for k, _ in WEIGHT_CONVERTERS))
        raise KeyError(f"--weights-format {weights_format!r} is not a registered converter (known: {known})")
    if mmseg_config and not os.path.isfile(mmseg_config):
        raise FileNotFoundError(f"--mmseg-config {mmseg_config!r} is not a file")
    rows = dict(MMSEG_MODELS)
    converter = weights_format or (cfg.MODEL.WEIGHTS_FORMAT if cfg.MODEL.WEIGHTS_FORMAT in rows else "")
    if not converter:
        head, neck = cfg.MODEL.HEAD.NAME, cfg.MODEL.NECK.NAME
        matches = sorted(name for name, row in rows.items() if (row.head, row.neck) == (head, neck))
        if not matches:
            known = ", ".join(f"{r.head}{' on ' + r.neck if r.neck else ''} ({name})" for name, r in sorted(rows.items()))
            raise ValueError(f"--compare-mmseg: no mmsegmentation model is known for MODEL.HEAD.NAME {head!r}"
                             f"{' on MODEL.NECK.NAME ' + repr(neck) if neck else ''} (known: {known}); "
                             "name one with --mmseg-config PATH --weights-format CONVERTER")
        converter = matches[0]
    if mmseg_config:
        return converter, mmseg_config
    if converter not in rows:
        raise ValueError(f"--compare-mmseg: no mmsegmentation config is known for converter {converter!r} "
                         f"(known: {', '.join(sorted(rows))}); name one with --mmseg-config PATH")
    return converter, rows[converter].config


def check_single_view(protocol: InferenceProtocol) -> None:
    """mmsegmentation's ``inference`` predicts one view (whole or sliding window); flips and scales are
    its separate test-time-augmentation model, so a protocol with them is not compared."""
    if protocol.flip or protocol.scales != (1.0,):
        raise ValueError(f"--compare-mmseg compares one view (mmseg's inference() has neither flip nor scales): "
                         f"set TEST.FLIP False and TEST.SCALES (1.0,), got {protocol.flip} and {protocol.scales}")


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


def build_mmseg_model(cfg, config: str) -> nn.Module:
    """mmsegmentation's model of ``config`` (a file, or a path under the wheel's ``.mim/configs``) with
    SyncBN as BN, no pretrained weights, MODEL.NUM_CLASSES classes, the ResNet depth of MODEL.RESNETS,
    and the test mode (whole or slide, window and stride) of the recipe's TEST.*, on MODEL.DEVICE.
    Needs import_mmseg() first."""
    import mmseg
    from mmengine import Config, ConfigDict
    from mmseg.registry import MODELS

    wheel_configs = os.path.join(os.path.dirname(mmseg.__file__), ".mim", "configs")
    path = config if os.path.isfile(config) else os.path.join(wheel_configs, config)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"mmsegmentation config {config!r} is neither a file nor in {os.path.dirname(path)}")
    loaded = Config.fromfile(path)
    if "model" not in loaded:
        raise ValueError(f"mmsegmentation config {path!r} defines no `model` (nor does its _base_ chain)")
    model_cfg = loaded.model.to_dict()
    _sync_bn_to_bn(model_cfg)
    model_cfg.pop("data_preprocessor", None)  # inputs arrive normalized, as ours do after preprocess_images
    model_cfg["pretrained"] = None
    backbone = model_cfg.get("backbone", {})
    backbone.pop("init_cfg", None)
    if str(backbone.get("type", "")).startswith("ResNet") and "RESNETS" in cfg.MODEL:
        backbone["depth"] = cfg.MODEL.RESNETS.DEPTH
    for head in _heads(model_cfg):
        head["num_classes"] = cfg.MODEL.NUM_CLASSES
    t = cfg.TEST
    model_cfg["test_cfg"] = (dict(mode="slide", crop_size=tuple(t.CROP_SIZE), stride=tuple(t.STRIDE))
                             if t.MODE == "slide" else dict(mode="whole"))
    with warnings.catch_warnings():  # build_loss deprecation, avg_non_ignore default: theirs, not the user's
        warnings.simplefilter("ignore", UserWarning)
        model = MODELS.build(model_cfg)
    model.test_cfg = ConfigDict(model_cfg["test_cfg"])
    return model


def load_same_weights(ours: nn.Module, theirs: nn.Module, converter: str, seed: int = 0) -> None:
    """Give mmseg's model random BatchNorm statistics and affine weights (its other weights are its own
    random initialisation), then load its state dict, converted by ``converter``, into ours: every key
    of ours, no other. A ValueError naming the first keys when the layouts do not match."""
    randomize_batchnorm(theirs, seed)
    state = convert_weights({k: v.detach().clone() for k, v in theirs.state_dict().items()}, converter)
    ours_keys = set(ours.state_dict())
    missing, unexpected = sorted(ours_keys - set(state)), sorted(set(state) - ours_keys)
    if missing or unexpected:
        raise ValueError(f"mmseg's model converted by {converter} does not fit this config's model: "
                         f"{len(missing)} keys missing (e.g. {missing[:3]}), {len(unexpected)} unexpected "
                         f"(e.g. {unexpected[:3]})")
    shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    mismatched = [k for k, shape in shapes.items() if shape != tuple(state[k].shape)]
    if mismatched:
        k = mismatched[0]
        raise ValueError(f"mmseg's model converted by {converter} does not fit this config's model: "
                         f"{len(mismatched)} shapes differ, e.g. {k} {tuple(state[k].shape)} vs {shapes[k]}")
    ours.load_state_dict(state)


def image_metas(images: torch.Tensor) -> List[dict]:
    """mmseg's per-image meta information for a batch of unpadded images."""
    size = tuple(images.shape[-2:])
    return [dict(img_shape=size, ori_shape=size, pad_shape=size) for _ in range(images.shape[0])]


def seg_data_samples(targets: torch.Tensor) -> list:
    """mmseg's SegDataSample per N x H x W target mask (for ``model.loss``)."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    samples = []
    for target, meta in zip(targets, image_metas(targets[:, None])):
        sample = SegDataSample(metainfo=meta)
        sample.gt_sem_seg = PixelData(data=target[None])
        samples.append(sample)
    return samples


def require_same_logits(difference: Dict[str, float], tolerance: float = LOGIT_TOLERANCE) -> None:
    """A ValueError when the two models' logits differ by more than ``tolerance`` of the largest: their
    speeds would not be of the same model."""
    if not difference["relative"] <= tolerance:
        raise ValueError(f"--compare-mmseg: the logits differ (max |diff| {difference['max_abs_diff']:.3g} = "
                         f"{difference['relative']:.3g} of the largest |logit| {difference['max_abs_logit']:.3g}, "
                         f"over {tolerance:g}): not the same model, no ratio reported")


def mmseg_logits(theirs: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """mmseg's ``inference`` (its test_cfg's whole or slide mode) on normalized images: logits at their size.
    mmseg's own input checks (assertions, e.g. UNet's size divisible by 16) become a one-line ValueError."""
    try:
        return theirs.inference(images, image_metas(images))
    except AssertionError as e:
        raise ValueError(f"mmseg's model refused the {tuple(images.shape[-2:])} input: {e}") from e


def mmseg_loss(theirs: nn.Module, images: torch.Tensor, samples: list) -> torch.Tensor:
    """mmseg's training loss as its ``train_step`` forms it: ``loss`` then ``parse_losses``."""
    loss, _ = theirs.parse_losses(theirs.loss(images, samples))
    return loss


def _normalized(ours: nn.Module, batch: List[dict]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Our preprocessing of a synthetic batch (normalize, pad to SIZE_DIVISIBILITY): images and targets."""
    images, _ = ours.preprocess_images(batch)
    return images, ours.preprocess_targets(batch, images.shape[-2:])


def compare_with_mmseg(cfg, ours: nn.Module, theirs: nn.Module, size: Tuple[int, int], batch: int = 1,
                       rounds: int = 5, warmup: int = 1) -> Dict[str, Any]:
    """Our model against mmseg's with the same weights (load_same_weights first), in one process.

    Both take the same normalized batch (our preprocessing, untimed). The logits of our test protocol
    (``protocol_scores(predict_logits)``) and of mmseg's ``inference`` are compared first (a ValueError
    beyond LOGIT_TOLERANCE); then inference of ``batch`` images of ``size`` and a training step
    (forward, loss, backward, optimizer step; SOLVER.IMS_PER_BATCH crops of INPUT.TRAIN.CROP_SIZE, under
    SOLVER.AMP's autocast on both) are timed interleaved (``interleaved_timings``), each side with its own
    optimizer built by ``build_optimizer(cfg, ...)``: the same class, groups and hyper-parameters.
    """
    if cfg.MODEL.COMPILE:
        raise ValueError("--compare-mmseg compares eager models: set MODEL.COMPILE False")
    protocol = ours.test_protocol
    check_single_view(protocol)
    device = ours.device
    theirs.to(device=device, memory_format=ours.memory_format)
    images, _ = _normalized(ours, synthetic_batch(size, batch, ours.num_classes))
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        difference = logits_difference(protocol_scores(ours.predict_logits, images, protocol),
                                       mmseg_logits(theirs, images))
    require_same_logits(difference)

    def infer_ours() -> None:
        with torch.no_grad():
            protocol_scores(ours.predict_logits, images, protocol)

    def infer_theirs() -> None:
        with torch.no_grad():
            mmseg_logits(theirs, images)

    inference = interleaved_timings({"ours": infer_ours, "mmseg": infer_theirs}, batch, rounds, warmup, device)

    crop, per_step = tuple(cfg.INPUT.TRAIN.CROP_SIZE), cfg.SOLVER.IMS_PER_BATCH
    train_batch = synthetic_batch(crop, per_step, ours.num_classes, seed=1)
    train_images, targets = _normalized(ours, train_batch)
    samples = seg_data_samples(targets)
    optimizers = {"ours": build_optimizer(cfg, ours), "mmseg": build_optimizer(cfg, theirs)}
    amp = cfg.SOLVER.AMP

    def train_step(name: str, loss_fn) -> None:
        autocast = torch.autocast(device.type, dtype=getattr(torch, amp.DTYPE)) if amp.ENABLED else None
        with autocast or contextlib.nullcontext():
            loss = loss_fn()
        loss.backward()
        optimizers[name].step()
        optimizers[name].zero_grad(set_to_none=True)

    def ours_loss() -> torch.Tensor:
        return sum(ours.losses(ours.segment(train_images), targets, train_batch).values())

    ours.train()
    theirs.train()
    training = interleaved_timings(
        {"ours": lambda: train_step("ours", ours_loss),
         "mmseg": lambda: train_step("mmseg", lambda: mmseg_loss(theirs, train_images, samples))},
        per_step, rounds, warmup, device)
    return {
        "logits": difference,
        "inference": {"input_size": list(size), "batch": batch, "protocol": protocol.mode,
                      "ours_calls": "protocol_scores(model.predict_logits, images, model.test_protocol)",
                      "mmseg_calls": "model.inference(images, metas)", **inference,
                      **speed_ratios(inference, "ours", "mmseg")},
        "train": {"crop_size": list(crop), "batch": per_step, "amp": amp.DTYPE if amp.ENABLED else "off",
                  "optimizer": f"{type(optimizers['ours']).__name__} ({cfg.SOLVER.OPTIMIZER_IMPL})",
                  "ours_calls": "model.losses(model.segment(images), targets), backward, step",
                  "mmseg_calls": "model.parse_losses(model.loss(images, data_samples)), backward, step",
                  **training, **speed_ratios(training, "ours", "mmseg")},
    }
