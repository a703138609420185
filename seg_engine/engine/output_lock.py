"""An exclusive lock on OUTPUT_DIR, so that two runs never write the same checkpoints and metrics.

The lock is ``OUTPUT_DIR/run.lock``: an ``flock`` held for the whole run (the kernel drops it when the
process dies, however it dies; on NFS it is a POSIX lock the server keeps) and, inside the file, who
holds it (pid, host, start time, command), for the message that refuses a second run. A file left by a
killed run is stale: its flock is free; the next run says so and takes it over.
"""
from __future__ import annotations

import atexit
import fcntl
import logging
import os
import socket
import sys
import time
from typing import Dict, Optional

from ..config import ConfigError

logger = logging.getLogger(__name__)

LOCK_NAME = "run.lock"
_held: Dict[str, "OutputDirLock"] = {}


class OutputDirLocked(ConfigError):
    """Another run holds the lock on this OUTPUT_DIR."""


class OutputDirLock:
    """``acquire()`` takes the lock or raises :class:`OutputDirLocked` naming its holder; ``release()``
    (also run at exit) gives it back and removes the file."""

    def __init__(self, output_dir: str) -> None:
        self.path = os.path.join(output_dir, LOCK_NAME)
        self._fd: Optional[int] = None
        # Set by acquire() when it took over the file of a run that died holding it (logged by the caller,
        # once logging is set up).
        self.stale_message = ""

    def acquire(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                os.close(fd)
                raise OutputDirLocked(
                    f"OUTPUT_DIR {os.path.dirname(self.path)} is in use by another run ({_describe(holder)}); "
                    f"wait for it, stop it, or choose another OUTPUT_DIR"
                ) from None
            if _same_file(fd, self.path):
                break
            os.close(fd)  # the holder released and removed it in between: lock the new file
        stale = _read(fd)
        if stale.get("pid"):
            self.stale_message = (
                f"Took over the stale lock {self.path} of a run that ended without releasing it ({_describe(stale)})"
            )
        record = f"pid {os.getpid()}\nhost {socket.gethostname()}\nstarted {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        record += f"command {' '.join(sys.argv)}\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.remove(self.path)
        except OSError:
            pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def _same_file(fd: int, path: str) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _read(fd: int) -> Dict[str, str]:
    text = os.pread(fd, 4096, 0).decode(errors="replace")
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


def _describe(holder: Dict[str, str]) -> str:
    if not holder.get("pid"):
        return "holder unknown"
    return f"pid {holder['pid']} on {holder.get('host', '?')}, started {holder.get('started', '?')}"


def lock_output_dir(output_dir: str) -> OutputDirLock:
    """Take the lock on ``output_dir`` for this process until :func:`release_output_dir_locks` or exit."""
    key = os.path.realpath(output_dir)
    if key in _held:
        return _held[key]
    lock = OutputDirLock(output_dir)
    lock.acquire()
    _held[key] = lock
    return lock


def release_output_dir_locks() -> None:
    """Release every OUTPUT_DIR lock this process holds (the end of a run)."""
    while _held:
        _held.popitem()[1].release()


atexit.register(release_output_dir_locks)
