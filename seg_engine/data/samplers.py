"""Samplers: an infinite, seeded, resumable training stream and a visit-once test split."""
from __future__ import annotations

import itertools
from typing import Iterator, Tuple

import numpy as np
import torch
from torch.utils.data import Sampler

from ..utils import comm


class TrainingSampler(Sampler):
    """Yields ``(position, index)`` forever: position counts samples over all processes.

    The global stream is a fresh seeded permutation per epoch; process ``r`` of ``W`` takes
    positions ``r, r + W, ...``. Setting ``start`` (samples already consumed by all processes)
    before iterating resumes the stream exactly; the trainer derives it from the iteration.
    """

    def __init__(self, size: int, shuffle: bool = True, seed: int = 0) -> None:
        if size <= 0:
            raise ValueError(f"TrainingSampler needs a non-empty dataset, got size {size}")
        self.size = size
        self.shuffle = shuffle
        self.seed = seed
        self.start = 0
        self.rank = comm.get_rank()
        self.world_size = comm.get_world_size()

    def _global_stream(self, start: int) -> Iterator[Tuple[int, int]]:
        epoch, offset = divmod(start, self.size)
        position = start
        while True:
            if self.shuffle:
                order = torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + epoch)).tolist()
            else:
                order = list(range(self.size))
            for index in order[offset:]:
                yield position, index
                position += 1
            epoch, offset = epoch + 1, 0

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        return itertools.islice(self._global_stream(self.start), self.rank, None, self.world_size)


class InferenceSampler(Sampler):
    """Each index exactly once over all processes, in contiguous shards (rank order)."""

    def __init__(self, size: int) -> None:
        rank, world = comm.get_rank(), comm.get_world_size()
        shard = size // world
        extra = size % world
        begin = rank * shard + min(rank, extra)
        self._indices = range(begin, begin + shard + (rank < extra))

    def __iter__(self):
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)


def sample_rng(seed: int, position: int) -> np.random.Generator:
    """The generator of one training sample: a pure function of the run's seed and its position."""
    return np.random.default_rng([seed, position])
