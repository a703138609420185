"""Logging set-up: one format on the console (main process) and a log file per process."""
from __future__ import annotations

import logging
import os
import sys


def setup_logger(output: str | None = None, distributed_rank: int = 0, name: str = "seg_engine") -> logging.Logger:
    """Configure the ``name`` logger: console and ``output/log.txt`` on rank 0, warnings on stderr elsewhere.

    Calling it again (a new run in the same process) replaces the handlers of the previous call.
    """
    logger = logging.getLogger(name)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    fmt = logging.Formatter("[%(asctime)s %(name)s]: %(message)s", datefmt="%m/%d %H:%M:%S")
    console = logging.StreamHandler(stream=sys.stdout if distributed_rank == 0 else sys.stderr)
    # Other ranks only report problems, and write no files: rank 0 speaks for the job.
    console.setLevel(logging.INFO if distributed_rank == 0 else logging.WARNING)
    console.setFormatter(fmt if distributed_rank == 0 else logging.Formatter(f"[rank {distributed_rank}] %(message)s"))
    logger.addHandler(console)
    if output and distributed_rank == 0:
        filename = output if output.endswith((".txt", ".log")) else os.path.join(output, "log.txt")
        os.makedirs(os.path.dirname(filename) or ".", exist_ok=True)
        fh = logging.FileHandler(filename, mode="a")
        fh.setLevel(logging.DEBUG)
        fh.setFormatter(fmt)
        logger.addHandler(fh)
    return logger
