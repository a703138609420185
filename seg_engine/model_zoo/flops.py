"""Size and cost of a recipe's model: parameters on the meta device (no memory, no initialisation) and fvcore's
FLOPs, cached in ``MODEL_ZOO.flops.json`` keyed by a hash of the network and the input size."""
from __future__ import annotations

import builtins
import contextlib
import copy
import hashlib
import json
import os
from typing import Dict, Iterator, Sequence, Tuple

import torch

from ..modeling.losses import PixelLoss
from ..modeling.losses.build import WeightedLosses

_LOSS_MODULES = (PixelLoss, WeightedLosses)

# Keys of MODEL that do not change the network, left out of the model key.
_NOT_ARCHITECTURE = ("WEIGHTS", "WEIGHTS_FORMAT", "DEVICE")


def model_key(cfg) -> str:
    """A hash of the model config (MODEL but weights and device): equal for recipes that build the same model."""
    model = {k: v for k, v in cfg.MODEL.items() if k not in _NOT_ARCHITECTURE}
    text = json.dumps(model, sort_keys=True, default=builtins.list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def architecture_hash(model: torch.nn.Module) -> str:
    """A hash of the network in eval mode: its modules as printed (kinds, widths, kernels, strides,
    dilations, pooling sizes) and the names and shapes of its tensors. Unlike the config, it does not
    change when a new project registers config keys, nor with keys the model does not read. Training-only
    children (the losses) are left out: they cost no inference FLOPs."""
    model.eval()
    network = copy.copy(model)
    network._modules = {name: m for name, m in model.named_children() if not isinstance(m, _LOSS_MODULES)}
    text = repr(network) + "".join(f"\n{k} {tuple(v.shape)}" for k, v in network.state_dict().items())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def flops_key(architecture: str, size: Tuple[int, int]) -> str:
    """The FLOPs cache's key: the architecture_hash and the input size."""
    return hashlib.sha256(f"{architecture} {size[0]}x{size[1]}".encode()).hexdigest()[:16]


_INIT_FUNCTIONS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                   "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_")


@contextlib.contextmanager
def _skip_init() -> Iterator[None]:
    """torch.nn.init's fills as no-ops: on the meta device they compute nothing and cost most of a build."""
    saved = {name: getattr(torch.nn.init, name) for name in _INIT_FUNCTIONS if hasattr(torch.nn.init, name)}
    try:
        for name in saved:
            setattr(torch.nn.init, name, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for name, fn in saved.items():
            setattr(torch.nn.init, name, fn)


def compute_flops(cfg, size: Tuple[int, int]) -> int:
    """fvcore's FLOPs of one whole-image pass at ``size`` of the model ``cfg`` builds (random weights, CPU)."""
    from ..analysis import count_flops
    from ..modeling import build_model

    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.WEIGHTS = ""
    with torch.device("cpu"):
        model = build_model(cfg).eval()
    return count_flops(model, size)


def build_on_meta(cfg) -> torch.nn.Module:
    """The model of ``cfg`` on the meta device: shapes without memory, and no initialisation cost."""
    from ..modeling import build_model

    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.DEVICE = "meta"
    with torch.device("meta"), _skip_init():
        return build_model(cfg)


def count_parameters(model: torch.nn.Module) -> int:
    """Every parameter of ``model``, shared ones once."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def _read_cache_entries(path: str) -> Dict[str, dict]:
    if not os.path.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def read_flops_cache(path: str) -> Dict[str, int]:
    """flops_key -> FLOPs of the cache file (empty when there is none)."""
    return {k: int(v["flops"]) for k, v in _read_cache_entries(path).items()}


def _write_cache_entries(entries: Dict[str, dict], path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(entries, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def write_flops_cache(rows: Sequence, path: str) -> None:
    """The FLOPs of ``rows`` keyed by flops_key (entries of models no recipe builds any more are dropped),
    with the size and a config each was counted for (to read, not to match)."""
    _write_cache_entries({r.flops_key: {"flops": r.flops, "size": builtins.list(r.flops_size), "config": r.config}
                          for r in rows if r.flops is not None}, path)


