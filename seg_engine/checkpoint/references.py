"""Weights references: what ``MODEL.WEIGHTS`` (and every tool's weights argument) may say.

- a local path (or ``file://PATH``), or an ``http(s)://`` URL: downloaded once into the cache;
- ``open-mmlab://NAME``: mmsegmentation's ImageNet names (``resnet50_v1c``, ...), see open_mmlab_names.py;
- ``torchvision://NAME[.ENTRY]``: torchvision's ImageNet classifiers (``resnet50``, ``vgg16_bn``), the
  ``IMAGENET1K_V1`` file unless ENTRY names another of the model's weights (``resnet50.IMAGENET1K_V2``);
- ``timm://NAME``: the ``[timm]`` extra; timm's own pretrained loader fetches it, its state dict is cached;
- ``semseg://NAME``: hszhao/semseg's ImageNet ResNets, which have no direct download (Google Drive only):
  put by hand where the error message says;
- ``zoo://NAME``: the trained zoo: the installed projects' ``configs/trained.yaml`` (read when a name is first
  missed) and rows added with ``register_zoo_weights``; a row's converter wins over MODEL.WEIGHTS_FORMAT.

A name implies its converter (MODEL.WEIGHTS_FORMAT); a format set explicitly wins.
"""
from __future__ import annotations

import difflib
import logging
import os
from dataclasses import dataclass
from typing import BinaryIO, Callable, Dict, Optional, Tuple

import torch

from .converters import WEIGHT_CONVERTERS
from .download import cache_path, cached_file, download, is_url, weights_cache_dir
from .errors import WeightsDownloadError, WeightsNameError
from .open_mmlab_names import OPEN_MMLAB_WEIGHTS


@dataclass(frozen=True)
class WeightsSource:
    """Where a reference points and how its file loads."""

    location: str  # an http(s) URL or a local path
    weights_format: str = ""  # the converter the reference implies ("" for none)
    sha256: str = ""  # a prefix (or all) of the file's sha256, checked on download besides one in its name
    write: Optional[Callable[[BinaryIO], object]] = None  # produces a missing local ``location`` (once)
    by_hand: str = ""  # for a file without a download: where a person can get it
    exact_format: bool = False  # weights_format is the file's own and wins over MODEL.WEIGHTS_FORMAT (zoo rows)
    notice: str = ""  # logged once, when the file is downloaded (a licence's terms)


logger = logging.getLogger(__name__)
SCHEMES: Dict[str, Callable[[str], WeightsSource]] = {}
ZOO_WEIGHTS: Dict[str, WeightsSource] = {}


def register_scheme(*schemes: str):
    """Decorator: ``fn(name) -> WeightsSource`` resolves ``<scheme>://name`` for each of ``schemes``."""
    def register(fn: Callable[[str], WeightsSource]) -> Callable[[str], WeightsSource]:
        for scheme in schemes:
            SCHEMES[scheme] = fn
        return fn
    return register


def register_zoo_weights(name: str, url: str, weights_format: str = "", sha256: str = "") -> None:
    """Make ``zoo://name`` resolve to ``url`` (loaded with the converter ``weights_format``, whatever
    MODEL.WEIGHTS_FORMAT says); ``sha256`` (a prefix or the whole digest) is checked on download, besides a hash
    prefix the file name carries."""
    ZOO_WEIGHTS[name] = WeightsSource(url, weights_format, sha256, exact_format=True)


def resolve_weights(reference: str) -> WeightsSource:
    """The source a reference names, without touching the network or the disk."""
    scheme, sep, name = reference.partition("://")
    if not sep or scheme in ("http", "https"):
        return WeightsSource(reference)
    if scheme == "file":
        return WeightsSource(name)
    if scheme not in SCHEMES:
        known = ", ".join(f"{s}://" for s in ["http", "https", "file", *sorted(SCHEMES)])
        raise WeightsNameError(f"unknown weights scheme in {reference!r} (known: {known})")
    return SCHEMES[scheme](name)


def fetch_weights(reference: str) -> Tuple[str, str]:
    """(a local file, the converter implied) for a reference; URLs are downloaded into the cache once."""
    source = resolve_weights(reference)
    if is_url(source.location):
        if source.notice and not os.path.isfile(cache_path(source.location)):
            logger.warning(source.notice)
        return download(source.location, source.sha256), source.weights_format
    if source.write is not None:
        return cached_file(source.location, reference, source.write), source.weights_format
    if source.by_hand and not os.path.isfile(source.location):
        raise WeightsDownloadError(f"{reference} has no direct download ({source.by_hand}); put the file at {source.location}")
    return source.location, source.weights_format


def unknown_name(reference: str, known) -> WeightsNameError:
    """The error for a name that is not among ``known``: all of them when few, else the closest."""
    names = sorted(known)
    if len(names) > 10:
        close = difflib.get_close_matches(reference.partition("://")[2], names, n=5)
        return WeightsNameError(f"{reference} names no weights (closest: {', '.join(close) or 'none'}; {len(names)} names known)")
    return WeightsNameError(f"{reference} names no weights (known: {', '.join(names) or 'none registered'})")


@register_scheme("open-mmlab", "openmmlab")
def _open_mmlab(name: str) -> WeightsSource:
    if name not in OPEN_MMLAB_WEIGHTS:
        raise unknown_name(f"open-mmlab://{name}", OPEN_MMLAB_WEIGHTS)
    url, weights_format = OPEN_MMLAB_WEIGHTS[name]
    return WeightsSource(url, weights_format)


@register_scheme("torchvision")
def _torchvision(name: str) -> WeightsSource:
    import torchvision

    arch, _, entry = name.partition(".")
    try:
        weights = torchvision.models.get_model_weights(arch)
    except ValueError:
        raise unknown_name(f"torchvision://{name}", torchvision.models.list_models(torchvision.models)) from None
    entries = [e for e in weights.__members__ if e != "DEFAULT"]
    chosen = entry or ("IMAGENET1K_V1" if "IMAGENET1K_V1" in entries else "DEFAULT")
    if chosen not in weights.__members__:
        raise WeightsNameError(f"torchvision://{name}: {arch} has no weights {chosen!r} (it has {', '.join(entries)})")
    # torchvision's layout loads as it is (under backbone.); a VGG's classifier as fc6/fc7 needs MODEL.WEIGHTS_FORMAT torchvision_vgg.
    return WeightsSource(weights[chosen].url)


@register_scheme("timm")
def _timm(name: str) -> WeightsSource:
    arch = name.split(".")[0]
    converter = f"timm_{arch}"
    path = os.path.join(weights_cache_dir(), "timm", f"{name}.pth")
    return WeightsSource(path, converter if converter in WEIGHT_CONVERTERS else "", write=lambda f: _save_timm_state(name, f))


def _save_timm_state(name: str, out: BinaryIO) -> None:
    """timm's pretrained loader (its own download and cache; HF_ENDPOINT mirrors it) -> the classifier's state dict."""
    try:
        import timm
    except ImportError:
        raise WeightsNameError(f"timm://{name} needs the [timm] extra: pip install timm") from None
    try:
        model = timm.create_model(name, pretrained=True)
    except Exception as e:  # unknown names, network and hub errors all come back as different types
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise WeightsDownloadError(f"timm could not load the pretrained weights of {name}: {first}") from None
    torch.save(model.state_dict(), out)


_SEMSEG_DRIVE = "https://drive.google.com/open?id=15wx9vOM0euyizq-M1uINgN0_wjVRf9J3"
SEMSEG_WEIGHTS = ("resnet50_v2", "resnet101_v2", "resnet152_v2")


@register_scheme("semseg")
def _semseg(name: str) -> WeightsSource:
    if name not in SEMSEG_WEIGHTS:
        raise unknown_name(f"semseg://{name}", SEMSEG_WEIGHTS)
    return WeightsSource(
        os.path.join(weights_cache_dir(), "semseg", f"{name}.pth"), "semseg_resnet_imagenet",
        by_hand=f"hszhao/semseg publishes initmodel/{name}.pth only in the Google Drive folder {_SEMSEG_DRIVE}",
    )


@register_scheme("zoo")
def _zoo(name: str) -> WeightsSource:
    if name not in ZOO_WEIGHTS:
        from ..model_zoo.trained import register_installed  # the installed projects' trained.yaml, read once

        register_installed()
    if name not in ZOO_WEIGHTS:
        raise unknown_name(f"zoo://{name}", ZOO_WEIGHTS)
    return ZOO_WEIGHTS[name]
