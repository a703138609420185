"""``torch.load(weights_only=True)`` that also reads the checkpoints of mmengine 1.x and mmcv.

Their ``meta`` and ``message_hub`` hold mmengine objects (``HistoryBuffer``) and numpy arrays and scalars,
which weights-only loading refuses. Such objects load as inert placeholders instead: their classes are
never imported and no pickled code runs; the tensors load as usual. A file holding any other class is
still refused, with the class named.
"""
from __future__ import annotations

import pickle
from typing import Any, List

import torch

from .errors import CheckpointError

# Top-level packages whose objects may stand in a checkpoint's metadata and are dropped on loading.
METADATA_PACKAGES = ("mmengine", "mmcv", "numpy")


class Placeholder:
    """Stands for an object of a class that is not imported; it takes any arguments and state and keeps none."""

    def __new__(cls, *args: Any, **kwargs: Any) -> "Placeholder":
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __repr__(self) -> str:
        return "Placeholder()"


def load_torch_file(path: str) -> Any:
    """The object in a ``torch.save`` file, loaded weights-only; mmengine/mmcv/numpy metadata as Placeholders.
    A file that cannot be read raises a one-line CheckpointError."""
    try:
        return _load(path)
    except (CheckpointError, FileNotFoundError):
        raise
    except Exception as e:  # arbitrary bytes make the unpickler fail in arbitrary ways
        raise CheckpointError(
            f"checkpoint {path} cannot be loaded: not a torch file, or truncated or damaged ({type(e).__name__}: {_first_line(e)})"
        ) from None


def _load(path: str) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        refused = _refused_globals(path)
        if not refused:
            raise
    code = [name for name in refused if name.split(".")[0] not in METADATA_PACKAGES]
    if code:
        shown = ", ".join(code[:3]) + (f" and {len(code) - 3} more" if len(code) > 3 else "")
        raise CheckpointError(f"checkpoint {path} holds pickled objects of {shown}; loading them could run code, so it is refused")
    with torch.serialization.safe_globals([(Placeholder, name) for name in refused]):
        return torch.load(path, map_location="cpu", weights_only=True)


def _refused_globals(path: str) -> List[str]:
    """The classes and functions a weights-only load refuses, read from the pickle without running it."""
    scan = getattr(torch.serialization, "get_unsafe_globals_in_checkpoint", None)  # torch >= 2.5
    if scan is None:
        return []
    try:
        return sorted(scan(path))
    except Exception:  # not a zip checkpoint, or damaged: the caller reports the first error
        return []


def _first_line(error: BaseException, limit: int = 200) -> str:
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."
