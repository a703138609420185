"""The checkpoint room's errors: each is a user error (one line, exit 2 in the tools)."""
from __future__ import annotations


class CheckpointError(RuntimeError):
    """No usable checkpoint where one was expected, or none could be written."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint to resume from that holds another model than the one built."""


class WeightsNameError(CheckpointError):
    """A weights reference (``scheme://name``) that names nothing known."""


class WeightsDownloadError(CheckpointError):
    """Weights that could not be had: offline, unreachable, an HTTP error, a cut-off or corrupt download."""
