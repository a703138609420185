"""Curves of metrics.json keys, with the iterations that a resume ran twice kept once (the later run)."""
from __future__ import annotations

import json
from typing import Dict, List, Sequence, Tuple


def read_metrics(path: str) -> List[dict]:
    """The rows of a metrics.json (one JSON object per line) in iteration order; when a row's iteration
    is not past the previous one (a resume from an earlier checkpoint), the rows it replaces are dropped."""
    rows: List[dict] = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}, line {number}: not a JSON object ({e.msg})") from None
            it = row.get("iteration")
            if it is None:
                continue
            while rows and rows[-1]["iteration"] > it:
                rows.pop()
            if rows and rows[-1]["iteration"] == it and set(row) & (set(rows[-1]) - {"iteration"}):
                rows.pop()  # the same iteration logged again by the resumed run
            rows.append(row)
    return rows


def series(rows: Sequence[dict], key: str) -> Tuple[List[int], List[float]]:
    points = [(r["iteration"], r[key]) for r in rows if key in r and r[key] is not None]
    return [p[0] for p in points], [float(p[1]) for p in points]


def plot_metrics(paths: Sequence[str], keys: Sequence[str], output: str, labels: Sequence[str] = ()) -> Dict[str, int]:
    """One subplot per key, one line per metrics.json, written to ``output`` (PNG); returns the points per key."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError('plot_metrics needs matplotlib: pip install -e ".[plots]"') from None
    runs = [read_metrics(p) for p in paths]
    labels = list(labels) or list(paths)
    fig, axes = plt.subplots(len(keys), 1, figsize=(8, 3 * len(keys)), squeeze=False)
    counts = {}
    for ax, key in zip(axes[:, 0], keys):
        counts[key] = 0
        for rows, label in zip(runs, labels):
            x, y = series(rows, key)
            counts[key] += len(x)
            if x:
                ax.plot(x, y, label=label, marker="o" if len(x) < 20 else None)
        if not counts[key]:
            known = sorted({k for rows in runs for r in rows for k in r if k != "iteration"})
            raise KeyError(f"no metrics.json given has the key {key!r} (keys there: {', '.join(known[:15])})")
        ax.set_title(key)
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return counts
