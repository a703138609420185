"""The allowed value of every config key that has a limit, checked once when the config is complete.

``validate_values(cfg)`` runs before anything is built, so a bad value stops the run with one line
naming the key and the value, instead of a ZeroDivisionError, a torch message or a run that "finishes"
without training. Plugins add checks for their own keys with :func:`register_check`.
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Dict, Iterable, List, Optional

from .config import CfgNode, ConfigError

# A check gets the key's value and the whole config and returns None when the value is fine, else what
# the value must be ("a positive integer"); the error line then reads "KEY must be <that>, got VALUE".
Check = Callable[[Any, CfgNode], Optional[str]]

_CHECKS: Dict[str, List[Check]] = {}


def register_check(key: str, check: Check) -> Check:
    """Add ``check`` for the full ``key`` (e.g. ``MODEL.PSPNET.BINS``); a key may have several checks.
    Checks of keys the config lacks (a plugin not loaded) are skipped."""
    _CHECKS.setdefault(key, [])
    if check not in _CHECKS[key]:
        _CHECKS[key].append(check)
    return check


def validate_values(cfg: CfgNode) -> None:
    """Raise :class:`ConfigError` naming the first key whose value is not allowed."""
    for key, checks in _CHECKS.items():
        found, value = _lookup(cfg, key)
        if not found:
            continue
        for check in checks:
            requirement = check(value, cfg)
            if requirement is not None:
                raise ConfigError(f"{key} must be {requirement}, got {value!r}")


def _lookup(cfg: CfgNode, key: str):
    node: Any = cfg
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


# ---------------------------------------------------------------------------- check builders
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def positive_int(value: Any, cfg: CfgNode = None) -> Optional[str]:
    return None if _is_int(value) and value > 0 else "a positive integer"


def non_negative_int(value: Any, cfg: CfgNode = None) -> Optional[str]:
    return None if _is_int(value) and value >= 0 else "an integer >= 0"


def non_negative_number(value: Any, cfg: CfgNode = None) -> Optional[str]:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    return None if ok else "a finite number >= 0"


def positive_number(value: Any, cfg: CfgNode = None) -> Optional[str]:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    return None if ok else "a finite number > 0"


def fraction_or_none(value: Any, cfg: CfgNode = None) -> Optional[str]:
    ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1)
    return None if ok else "None or a number in [0, 1]"


def one_of(*allowed: Any) -> Check:
    def check(value: Any, cfg: CfgNode) -> Optional[str]:
        return None if value in allowed else f"one of {', '.join(map(repr, allowed))}"

    return check


def one_of_lazy(allowed: Callable[[], Iterable[Any]]) -> Check:
    """Like :func:`one_of`, the values read from the module that owns them when the check runs."""

    def check(value: Any, cfg: CfgNode) -> Optional[str]:
        values = tuple(allowed())
        return None if value in values else f"one of {', '.join(map(repr, values))}"

    return check


def pair_of(element: Check, what: str) -> Check:
    def check(value: Any, cfg: CfgNode) -> Optional[str]:
        ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(element(v, cfg) is None for v in value)
        return None if ok else f"two {what} (h, w)"

    return check


# ---------------------------------------------------------------------------- cross-key checks
def _device(value: Any, cfg: CfgNode) -> Optional[str]:
    import torch

    if not isinstance(value, str) or not (value in ("auto", "cpu") or value.split(":")[0] == "cuda"):
        return "'auto', 'cpu', 'cuda' or 'cuda:N'"
    if value.startswith("cuda") and not torch.cuda.is_available():
        return "'auto' or 'cpu' on this machine (CUDA is not available)"
    return None


def _folder_root(value: Any, cfg: CfgNode) -> Optional[str]:
    name = cfg.DATASETS.FOLDER.NAME
    if name and not value:
        return f"the folder of dataset {name!r} (DATASETS.FOLDER.NAME is set)"
    if value and not name:
        return "empty unless DATASETS.FOLDER.NAME names the dataset (the folder is otherwise unused)"
    if value and not os.path.isdir(os.path.expanduser(value)):
        return "an existing folder"
    return None


def _folder_classes(value: Any, cfg: CfgNode) -> Optional[str]:
    if cfg.DATASETS.FOLDER.NAME and not value:
        return f"the list of class names of {cfg.DATASETS.FOLDER.NAME!r}"
    return None


def _label_map(value: Any, cfg: CfgNode) -> Optional[str]:
    pairs = value.items() if isinstance(value, dict) else value
    try:
        ok = all(_is_int(raw) and _is_int(new) and 0 <= raw <= 65535 and 0 <= new <= 65535 for raw, new in pairs)
    except (TypeError, ValueError):
        ok = False
    return None if ok else "a mapping of raw mask values to train ids, e.g. {255: 1} (values 0..65535)"


def _colours(value: Any) -> Optional[str]:
    from ..data.palette import as_colours

    colours = as_colours(value)
    if colours is None:
        return "a list of [R, G, B] colours, each channel 0..255"
    if len(set(colours)) != len(colours):
        twice = next(c for c in colours if colours.count(c) > 1)
        return f"a list of distinct colours ({list(twice)} is listed {colours.count(twice)} times)"
    return None


def _folder_palette(value: Any, cfg: CfgNode) -> Optional[str]:
    problem = _colours(value)
    if problem or not value:
        return problem
    classes = cfg.DATASETS.FOLDER.CLASSES
    if cfg.DATASETS.FOLDER.NAME and len(value) < len(classes):
        return f"at least one colour per class ({len(classes)} in DATASETS.FOLDER.CLASSES)"
    if cfg.DATASETS.FOLDER.PALETTE_FILE:
        return "empty when DATASETS.FOLDER.PALETTE_FILE gives the colours"
    return None


def _palette_file(value: Any, cfg: CfgNode) -> Optional[str]:
    if value and not os.path.isfile(os.path.expanduser(value)):
        return "an existing palette PNG (mode P)"
    return None


def _display_palette(value: Any, cfg: CfgNode) -> Optional[str]:
    problem = _colours(value)
    if problem or not value:
        return problem
    n = cfg.MODEL.NUM_CLASSES
    return None if len(value) >= n else f"empty or at least {n} colours (one per class, MODEL.NUM_CLASSES)"


TRACKER_PACKAGES = {"wandb": "wandb", "mlflow": "mlflow"}


def _trackers(value: Any, cfg: CfgNode) -> Optional[str]:
    import importlib.util

    unknown = [name for name in value if name not in TRACKER_PACKAGES]
    if unknown:
        return f"a list of {', '.join(map(repr, TRACKER_PACKAGES))} ({unknown[0]!r} is not a tracker)"
    missing = [name for name in value if importlib.util.find_spec(TRACKER_PACKAGES[name]) is None]
    if missing:
        return f"trackers that are installed ({missing[0]} is not: pip install -e \".[{missing[0]}]\")"
    return None


def _class_weights(value: Any, cfg: CfgNode) -> Optional[str]:
    n = cfg.MODEL.NUM_CLASSES
    if len(value) and len(value) != n:
        return f"empty or {n} numbers (one per class, MODEL.NUM_CLASSES)"
    return None


def _loss_names(value: Any, cfg: CfgNode) -> Optional[str]:
    from ..modeling.losses.build import loss_names_requirement

    return loss_names_requirement(list(value))


def _loss_weights(value: Any, cfg: CfgNode) -> Optional[str]:
    from ..modeling.losses.build import loss_weights_requirement

    return loss_weights_requirement(list(value), list(cfg.MODEL.LOSS.NAMES))


def _loss_averages():
    from ..modeling.losses import LOSS_AVERAGES

    return LOSS_AVERAGES


def _resnet_depths():
    from ..modeling.backbone.resnet import ARCH_SETTINGS

    return ARCH_SETTINGS


def _train_resize_modes():
    from ..data.transforms import TRAIN_RESIZE_MODES

    return TRAIN_RESIZE_MODES


def _test_resize_modes():
    from ..data.transforms import TEST_RESIZE_MODES

    return TEST_RESIZE_MODES


def _loss_scale(value: Any, cfg: CfgNode) -> Optional[str]:
    """float16's loss scale: a number >= 0, and 0 (the default) unless float16 autocast is on, which alone reads it."""
    requirement = non_negative_number(value)
    if requirement is None and value and not (cfg.SOLVER.AMP.ENABLED and cfg.SOLVER.AMP.DTYPE == "float16"):
        return "0 unless SOLVER.AMP.ENABLED is True with SOLVER.AMP.DTYPE float16 (only float16 is scaled)"
    return requirement


_BUILTIN: Dict[str, Check] = {
    "MODEL.DEVICE": _device,
    "MODEL.NUM_CLASSES": positive_int,
    "MODEL.RESNETS.DEPTH": one_of_lazy(_resnet_depths),
    "MODEL.LOSS.NAMES": _loss_names,
    "MODEL.LOSS.WEIGHTS": _loss_weights,
    "MODEL.LOSS.AVERAGE": one_of_lazy(_loss_averages),
    "MODEL.LOSS.CLASS_WEIGHTS": _class_weights,
    "MODEL.LOSS.DICE.SMOOTH": non_negative_number,
    "MODEL.LOSS.DICE.EPS": positive_number,
    "MODEL.LOSS.TVERSKY.ALPHA": non_negative_number,
    "MODEL.LOSS.TVERSKY.BETA": non_negative_number,
    "MODEL.LOSS.TVERSKY.GAMMA": positive_number,
    "MODEL.LOSS.TVERSKY.SMOOTH": non_negative_number,
    "MODEL.LOSS.TVERSKY.EPS": positive_number,
    "MODEL.LOSS.FOCAL.GAMMA": non_negative_number,
    "MODEL.LOSS.FOCAL.ALPHA": fraction_or_none,
    "MODEL.LOSS.OHEM.THRESH": fraction_or_none,
    "MODEL.LOSS.OHEM.MIN_KEPT": positive_int,
    "INPUT.TRAIN.RESIZE_MODE": one_of_lazy(_train_resize_modes),
    "INPUT.TRAIN.CROP_SIZE": pair_of(non_negative_int, "integers >= 0"),
    "INPUT.TEST.RESIZE_MODE": one_of_lazy(_test_resize_modes),
    "DATASETS.FOLDER.ROOT": _folder_root,
    "DATASETS.FOLDER.CLASSES": _folder_classes,
    "DATASETS.FOLDER.LABEL_MAP": _label_map,
    "DATASETS.FOLDER.PALETTE": _folder_palette,
    "DATASETS.FOLDER.PALETTE_FILE": _palette_file,
    "DATASETS.DISPLAY_PALETTE": _display_palette,
    "DATALOADER.NUM_WORKERS": non_negative_int,
    "SOLVER.OPTIMIZER": one_of("SGD", "AdamW"),
    "SOLVER.BASE_LR": non_negative_number,
    "SOLVER.IMS_PER_BATCH": positive_int,
    "SOLVER.MAX_ITER": positive_int,
    "SOLVER.LR_SCHEDULER_NAME": one_of("poly", "cosine", "step"),
    "SOLVER.WARMUP_ITERS": non_negative_int,
    "SOLVER.CHECKPOINT_PERIOD": non_negative_int,
    "SOLVER.MAX_TO_KEEP": non_negative_int,
    "SOLVER.AMP.DTYPE": one_of("float16", "bfloat16"),
    "SOLVER.AMP.LOSS_SCALE": _loss_scale,
    "MODEL.HEAD.DILATION": positive_int,
    "MODEL.AUX_HEAD.DILATION": positive_int,
    "TEST.EVAL_PERIOD": non_negative_int,
    "TEST.IMS_PER_BATCH": positive_int,
    "TEST.MODE": one_of("whole", "slide"),
    "TEST.AGGREGATE": one_of("prob", "exp"),
    "LOG_PERIOD": positive_int,
    "TRACKERS.NAMES": _trackers,
}
for _key, _check in _BUILTIN.items():
    register_check(_key, _check)
