"""The checkpoint room's errors: each is a user error (one line, exit 2 in the tools)."""
from __future__ import annotations


class CheckpointError(RuntimeError):
    """No usable checkpoint where one was expected, or none could be written."""


class NonFiniteCheckpointError(CheckpointError, FloatingPointError):
    """The state to save holds NaN or infinity (a blow-up that the loss has not shown yet): the file is
    not written and ``last_checkpoint`` keeps naming the last finite one. A FloatingPointError too, so
    that train_net exits with the status of a non-finite loss."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint to resume from that holds another model than the one built."""


class WeightsNameError(CheckpointError):
    """A weights reference (``scheme://name``) that names nothing known."""


class WeightsDownloadError(CheckpointError):
    """Weights that could not be had: offline, unreachable, an HTTP error, a cut-off or corrupt download."""
