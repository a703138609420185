"""Find NaN and infinity in a nested training state before it is saved."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Tuple

import torch


def _float_tensors(obj: Any, prefix: str) -> Iterator[Tuple[str, torch.Tensor]]:
    if isinstance(obj, torch.Tensor):
        if obj.is_floating_point() or obj.is_complex():
            yield prefix, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _float_tensors(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _float_tensors(value, f"{prefix}.{i}" if prefix else str(i))


def non_finite_tensors(state: Any) -> List[Tuple[str, str]]:
    """``[(key path, "nan" or "inf"), ...]`` of the floating tensors in ``state`` (nested dicts, lists
    and tuples) that hold a NaN or an infinity, in the order of ``state``; empty when all are finite.

    One reduction per tensor and one host sync per device, so a checkpoint costs one pass over its
    state; the slower per-tensor look runs only when something is not finite."""
    by_device: Dict[torch.device, List[Tuple[int, str, torch.Tensor]]] = {}
    for i, (name, tensor) in enumerate(_float_tensors(state, "")):
        by_device.setdefault(tensor.device, []).append((i, name, tensor))
    bad: List[Tuple[int, str, str]] = []
    for named in by_device.values():
        finite = torch.stack([t.isfinite().all() for _, _, t in named])
        if bool(finite.all()):
            continue
        for (i, name, tensor), ok in zip(named, finite.tolist()):
            if not ok:
                bad.append((i, name, "nan" if bool(tensor.isnan().any()) else "inf"))
    return [(name, kind) for _, name, kind in sorted(bad)]
