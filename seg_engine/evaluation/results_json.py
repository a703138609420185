"""eval_results.json: metrics as strict JSON, with null where a metric is undefined.

A metric is NaN when nothing defines it (a class absent from the ground truth and the predictions, or
no valid ground-truth pixel at all); Python's json would write a bare ``NaN``, which is not JSON.
"""
from __future__ import annotations

import json
import math
from typing import Any, List, Tuple

__all__ = ["results_as_json", "write_results_json"]


def results_as_json(results: Any, prefix: str = "") -> Tuple[Any, List[str]]:
    """``results`` with every non-finite float replaced by None, and the names of those metrics."""
    if isinstance(results, dict):
        out, undefined = {}, []
        for k, v in results.items():
            out[k], names = results_as_json(v, f"{prefix}{k}/")
            undefined += names
        return out, undefined
    if isinstance(results, float) and not math.isfinite(results):
        return None, [prefix.rstrip("/")]
    return results, []


def write_results_json(path: str, results: Any) -> List[str]:
    """Write ``results`` to ``path`` as strict JSON; returns the metrics written as null."""
    clean, undefined = results_as_json(results)
    with open(path, "w") as f:
        json.dump(clean, f, indent=2, allow_nan=False)
    return undefined
