"""Seeding and the environment report written at start-up."""
from __future__ import annotations

import os
import random
import sys
from datetime import datetime

import numpy as np
import torch


def seed_all_rng(seed: int | None = None) -> int:
    """Seed Python, NumPy and torch (CPU and CUDA); draw a seed when ``seed`` is None or negative."""
    if seed is None or seed < 0:
        seed = (os.getpid() + int(datetime.now().strftime("%S%f")) + int.from_bytes(os.urandom(2), "big")) % 2**30
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return seed


def collect_env_info() -> str:
    """A few lines that identify the software and hardware a run used."""
    import torchvision

    lines = [
        f"Python {sys.version.split()[0]} on {sys.platform}",
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, numpy {np.__version__}",
        f"CPU threads: {torch.get_num_threads()}",
    ]
    if torch.cuda.is_available():
        names = {torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())}
        lines.append(f"CUDA {torch.version.cuda}, {torch.cuda.device_count()} x {', '.join(sorted(names))}")
    else:
        lines.append("CUDA not available")
    return "\n".join(lines)


def get_rng_state() -> dict:
    """Python, NumPy and torch (CPU and CUDA) random states, in types a weights-only load accepts."""
    np_state = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": (np_state[0], np_state[1].tolist(), *np_state[2:]),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
