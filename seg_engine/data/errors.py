"""DatasetError: a dataset that cannot be used as configured (empty, unpaired files, conflicting label
maps). train_net prints its message as one line; data problems of a single sample are
:class:`~seg_engine.data.io.BadSampleError` instead."""
from __future__ import annotations

__all__ = ["DatasetError"]


class DatasetError(ValueError):
    """A whole dataset that cannot be used as configured; the message names it and the fix."""
