"""The same model through mmsegmentation's own code, for ``tools/benchmark.py --compare-mmseg``.

Which mmsegmentation config builds the model a recipe describes (``seg_engine.interop.MMSEG_MODELS``, or a config file
given by the user), built as the parity checks build it (:mod:`seg_engine.parity.mmseg`: on CPU without mmcv's
compiled ops, SyncBN as BN), its random weights loaded into ours through the registered converter, and the check that
both give the same logits (the parity measure), which must pass before any speed is compared. mmsegmentation
is not a dependency of this toolbox: ``INSTALL_HINT`` says how to add it.
"""
from __future__ import annotations

import contextlib
import os
from typing import Any, Dict, List, Tuple

import torch
from torch import nn

from ..checkpoint import WEIGHT_CONVERTERS, convert_weights
from ..interop import MMSEG_MODELS
from ..modeling.meta_arch.inference import InferenceProtocol, protocol_scores
from ..parity import mmseg as parity_mmseg
from ..parity.measure import LOGIT_TOLERANCE, logits_difference
from ..parity.mmseg import INSTALL_HINT, image_metas, import_mmseg, mmseg_logits, versions
from ..parity.protocol import key_accounting
from ..parity.randomize import randomize_batchnorm
from ..solver import build_optimizer
from .benchmark import interleaved_timings, speed_ratios, synthetic_batch

__all__ = ["INSTALL_HINT", "LOGIT_TOLERANCE", "build_mmseg_model", "check_single_view", "compare_with_mmseg",
           "image_metas", "import_mmseg", "load_same_weights", "logits_difference", "mmseg_logits",
           "require_same_logits", "same_logits", "select_mmseg_model", "versions"]


def select_mmseg_model(cfg, weights_format: str = "", mmseg_config: str = "") -> Tuple[str, str]:
    """(converter, mmseg config) for the recipe ``cfg``: the converter named by ``weights_format``, else
    MODEL.WEIGHTS_FORMAT when it is paired in MMSEG_MODELS, else the pairing of the recipe's decode head and neck
    (one that names the recipe's backbone before one that takes any; the pairings are registered by the projects'
    interop modules); the config ``mmseg_config`` (a file) when given, else the pairing's for the recipe's size.
    Raises a one-line ValueError/KeyError/FileNotFoundError when no pairing is known."""
    if weights_format and weights_format not in WEIGHT_CONVERTERS:
        known = ", ".join(sorted(k for k, _ in WEIGHT_CONVERTERS))
        raise KeyError(f"--weights-format {weights_format!r} is not a registered converter (known: {known})")
    if mmseg_config and not os.path.isfile(mmseg_config):
        raise FileNotFoundError(f"--mmseg-config {mmseg_config!r} is not a file")
    rows = dict(MMSEG_MODELS)
    converter = weights_format or (cfg.MODEL.WEIGHTS_FORMAT if cfg.MODEL.WEIGHTS_FORMAT in rows else "")
    if not converter:
        head, neck, backbone = cfg.MODEL.HEAD.NAME, cfg.MODEL.NECK.NAME, cfg.MODEL.BACKBONE.NAME
        matches = sorted((row.backbone != backbone, name) for name, row in rows.items()
                         if (row.head, row.neck) == (head, neck) and row.backbone in ("", backbone))
        if not matches:
            known = ", ".join(f"{r.head}{' on ' + r.neck if r.neck else ''}{' on ' + r.backbone if r.backbone else ''}"
                              f" ({name})" for name, r in sorted(rows.items()))
            raise ValueError(f"--compare-mmseg: no mmsegmentation model is known for MODEL.HEAD.NAME {head!r}"
                             f"{' on MODEL.NECK.NAME ' + repr(neck) if neck else ''} on MODEL.BACKBONE.NAME "
                             f"{backbone!r} (known: {known}); name one with --mmseg-config PATH --weights-format "
                             "CONVERTER")
        converter = matches[0][1]
    if mmseg_config:
        return converter, mmseg_config
    if converter not in rows:
        raise ValueError(f"--compare-mmseg: no mmsegmentation config is known for converter {converter!r} "
                         f"(known: {', '.join(sorted(rows))}); name one with --mmseg-config PATH")
    return converter, rows[converter].config_for(cfg)


def check_single_view(protocol: InferenceProtocol) -> None:
    """mmsegmentation's ``inference`` predicts one view (whole or sliding window); flips and scales are
    its separate test-time-augmentation model, so a protocol with them is not compared."""
    if protocol.flip or protocol.scales != (1.0,):
        raise ValueError(f"--compare-mmseg compares one view (mmseg's inference() has neither flip nor scales): "
                         f"set TEST.FLIP False and TEST.SCALES (1.0,), got {protocol.flip} and {protocol.scales}")


def build_mmseg_model(cfg, config: str) -> nn.Module:
    """mmsegmentation's model of ``config`` (a file, or a path under the wheel's ``.mim/configs``) as
    :func:`seg_engine.parity.mmseg.build_mmseg_model` builds it for the parity checks, with MODEL.NUM_CLASSES
    classes, the ResNet depth of MODEL.RESNETS, and the test mode (whole or slide, window and stride) of the
    recipe's TEST.*. Needs import_mmseg() first."""
    t = cfg.TEST
    test_cfg = (dict(mode="slide", crop_size=tuple(t.CROP_SIZE), stride=tuple(t.STRIDE))
                if t.MODE == "slide" else dict(mode="whole"))
    return parity_mmseg.build_mmseg_model(config, num_classes=cfg.MODEL.NUM_CLASSES,
                                          resnet_depth=cfg.MODEL.RESNETS.DEPTH if "RESNETS" in cfg.MODEL else None,
                                          test_cfg=test_cfg)


def load_same_weights(ours: nn.Module, theirs: nn.Module, converter: str, seed: int = 0) -> None:
    """Give mmseg's model random BatchNorm statistics and affine weights (its other weights are its own
    random initialisation), then load its state dict, converted by ``converter``, into ours: every key
    of ours, no other (the parity checks' accounting). A ValueError naming the first keys when the layouts do not
    match."""
    randomize_batchnorm(theirs, seed)
    state = convert_weights({k: v.detach().clone() for k, v in theirs.state_dict().items()}, converter)
    keys = key_accounting(state, ours)
    if keys["missing"] or keys["unexpected"]:
        raise ValueError(f"mmseg's model converted by {converter} does not fit this config's model: "
                         f"{len(keys['missing'])} keys missing (e.g. {keys['missing'][:3]}), "
                         f"{len(keys['unexpected'])} unexpected (e.g. {keys['unexpected'][:3]})")
    if keys["other_shape"]:
        k = keys["other_shape"][0]
        raise ValueError(f"mmseg's model converted by {converter} does not fit this config's model: "
                         f"{len(keys['other_shape'])} shapes differ, e.g. {k} {tuple(state[k].shape)} vs "
                         f"{tuple(ours.state_dict()[k].shape)}")
    ours.load_state_dict(state)


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


def mmseg_loss(theirs: nn.Module, images: torch.Tensor, samples: list) -> torch.Tensor:
    """mmseg's training loss as its ``train_step`` forms it: ``loss`` then ``parse_losses``."""
    loss, _ = theirs.parse_losses(theirs.loss(images, samples))
    return loss


def _normalized(ours: nn.Module, batch: List[dict]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Our preprocessing of a synthetic batch (normalize, pad to SIZE_DIVISIBILITY): images and targets."""
    images, _ = ours.preprocess_images(batch)
    return images, ours.preprocess_targets(batch, images.shape[-2:])


def same_logits(ours: nn.Module, theirs: nn.Module, size: Tuple[int, int], batch: int = 1) -> Dict[str, float]:
    """The difference of our test protocol's logits and mmseg's ``inference`` on the same normalized batch (our
    preprocessing of synthetic images of ``size``), both in eval mode; a ValueError beyond LOGIT_TOLERANCE."""
    theirs.to(device=ours.device, memory_format=ours.memory_format)
    images, _ = _normalized(ours, synthetic_batch(size, batch, ours.num_classes))
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        difference = logits_difference(protocol_scores(ours.predict_logits, images, ours.test_protocol),
                                       mmseg_logits(theirs, images))
    require_same_logits(difference)
    return difference


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
    difference = same_logits(ours, theirs, size, batch)
    images, _ = _normalized(ours, synthetic_batch(size, batch, ours.num_classes))

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
