"""build_train_loader / build_test_loader: catalog dicts -> mapped, batched lists of dicts."""
from __future__ import annotations

import logging
import random
from typing import Callable, List, Optional, Sequence

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..utils import comm
from .catalog import DatasetCatalog, MetadataCatalog
from .datasets import register_folder_from_cfg
from .io import BadSampleError
from .mapper import SemSegDatasetMapper
from .samplers import InferenceSampler, TrainingSampler, sample_rng
from .transforms import build_augmentation

logger = logging.getLogger(__name__)

# The key under which a mapped sample carries the messages of the bad samples skipped in its place.
SKIPPED_KEY = "skipped_bad_samples"
# Consecutive bad draws after which the dataset is taken to be broken rather than to hold a few bad files.
_MAX_CONSECUTIVE_BAD = 20


def get_dataset_dicts(names: Sequence[str]) -> List[dict]:
    """The concatenated dicts of the named datasets; an empty dataset is an error that names it."""
    dicts: List[dict] = []
    for name in names:
        items = DatasetCatalog.get(name)
        if not items:
            raise ValueError(f"dataset {name!r} is empty")
        dicts.extend(items)
    return dicts


def _label_map(names: Sequence[str]) -> Optional[np.ndarray]:
    maps = [MetadataCatalog.get(n).get("label_map") for n in names]
    if any((m is None) != (maps[0] is None) or (m is not None and not np.array_equal(m, maps[0])) for m in maps):
        raise ValueError(f"datasets {list(names)} map labels differently; train them separately")
    return maps[0]


class MapDataset(Dataset):
    """Applies ``mapper`` to a list of dicts. Training keys are ``(position, index)`` pairs, and the
    sample's augmentations draw from ``sample_rng(seed, position)``, so they do not depend on the
    worker that maps it nor on where training resumed.

    With ``skip_bad_samples`` a :class:`BadSampleError` is logged (in the worker) and the sample is
    replaced by one drawn from its own generator (training) or left out (testing: an item holding only
    the message). The messages travel under ``SKIPPED_KEY`` to :class:`SkipCountingDataLoader`, which
    counts them in the main process.
    """

    def __init__(self, dicts: List[dict], mapper: Callable, seed: int = 0, skip_bad_samples: bool = False) -> None:
        self.dicts = dicts
        self.mapper = mapper
        self.seed = seed
        self.skip_bad_samples = skip_bad_samples

    def __len__(self) -> int:
        return len(self.dicts)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            position, index = key
            rng = sample_rng(self.seed, position)
            if not self.skip_bad_samples:
                return self.mapper(self.dicts[index], rng)
            return self._map_skipping_bad(index, rng)
        if not self.skip_bad_samples:
            return self.mapper(self.dicts[key])
        try:
            return self.mapper(self.dicts[key])
        except BadSampleError as e:
            logger.warning(f"Leaving out a bad sample: {e}")
            return {SKIPPED_KEY: [str(e)]}

    def _map_skipping_bad(self, index: int, rng: np.random.Generator) -> dict:
        skipped: List[str] = []
        while len(skipped) < _MAX_CONSECUTIVE_BAD:
            try:
                out = self.mapper(self.dicts[index], rng)
            except BadSampleError as e:
                logger.warning(f"Skipping a bad sample: {e}")
                skipped.append(str(e))
                index = int(rng.integers(len(self.dicts)))
                continue
            if skipped:
                out[SKIPPED_KEY] = skipped
            return out
        raise BadSampleError(f"{len(skipped)} bad samples in a row; is the dataset broken? The last: {skipped[-1]}")


class SkipCountingDataLoader(DataLoader):
    """A DataLoader that takes the skip messages out of its batches, drops left-out test samples (and
    batches left empty), keeps every message in ``skipped`` and logs the count in the main process:
    as it grows, and in total when an iteration ends."""

    def __init__(self, *args, name: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name = name
        self.skipped: List[str] = []

    def __iter__(self):
        return self._without_skipped(super().__iter__())

    def _without_skipped(self, batches):
        try:
            for batch in batches:
                count = len(self.skipped)
                for x in batch:
                    self.skipped.extend(x.pop(SKIPPED_KEY, ()))
                if len(self.skipped) > count:
                    logger.warning(f"{len(self.skipped)} bad sample(s) skipped so far in {self.name}")
                    batch = [x for x in batch if "image" in x]
                if batch:
                    yield batch
        finally:
            if self.skipped:
                logger.warning(f"{len(self.skipped)} bad sample(s) skipped in {self.name} in all")


def trivial_batch_collator(batch: list) -> list:
    return batch


def worker_init_fn(worker_id: int) -> None:
    """Seed NumPy and Python in each worker from torch's per-worker seed (itself from the run's seed),
    and keep OpenCV to one thread there: the workers already use the cores in parallel."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
    cv2.setNumThreads(1)


def _loader_generator(seed: int) -> torch.Generator:
    """The loader's own generator: creating an iterator then leaves the global torch RNG alone
    (a resumed run would otherwise draw from it at another point than the original run)."""
    return torch.Generator().manual_seed(max(seed, 0))


def build_mapper(cfg, dataset_names: Sequence[str], is_train: bool) -> SemSegDatasetMapper:
    return SemSegDatasetMapper(
        build_augmentation(cfg, is_train),
        is_train=is_train,
        num_classes=cfg.MODEL.NUM_CLASSES,
        ignore_label=cfg.MODEL.IGNORE_VALUE,
        label_map=_label_map(dataset_names),
    )


def build_train_loader(cfg, mapper: Optional[Callable] = None) -> DataLoader:
    """An infinite loader of per-process batches (IMS_PER_BATCH / world size images each).

    Its ``batch_sampler.sampler`` is the TrainingSampler; set its ``start`` to resume.
    """
    register_folder_from_cfg(cfg)
    world = comm.get_world_size()
    total = cfg.SOLVER.IMS_PER_BATCH
    if total % world:
        raise ValueError(f"SOLVER.IMS_PER_BATCH ({total}) must be divisible by the number of processes ({world})")
    names = cfg.DATASETS.TRAIN
    dicts = get_dataset_dicts(names)
    mapper = mapper or build_mapper(cfg, names, is_train=True)
    sampler = TrainingSampler(len(dicts), shuffle=True, seed=cfg.SEED)
    logger.info(f"Training on {len(dicts)} images from {list(names)}; batch {total} in all, {total // world} per process")
    return SkipCountingDataLoader(
        MapDataset(dicts, mapper, seed=cfg.SEED, skip_bad_samples=cfg.DATALOADER.SKIP_BAD_SAMPLES),
        batch_size=total // world,
        sampler=sampler,
        drop_last=True,
        num_workers=cfg.DATALOADER.NUM_WORKERS,
        collate_fn=trivial_batch_collator,
        worker_init_fn=worker_init_fn,
        persistent_workers=cfg.DATALOADER.NUM_WORKERS > 0,
        generator=_loader_generator(cfg.SEED),
        name=", ".join(names),
        **_speed_options(cfg),
    )


def _speed_options(cfg) -> dict:
    """DATALOADER.PIN_MEMORY (only where CUDA is available) and PREFETCH_FACTOR (only with workers)."""
    prefetch = cfg.DATALOADER.PREFETCH_FACTOR
    if not isinstance(prefetch, int) or prefetch < 1:
        raise ValueError(f"DATALOADER.PREFETCH_FACTOR must be a positive integer, got {prefetch!r}")
    options = {"pin_memory": bool(cfg.DATALOADER.PIN_MEMORY) and torch.cuda.is_available()}
    if cfg.DATALOADER.NUM_WORKERS > 0:
        options["prefetch_factor"] = prefetch
    return options


def build_test_loader(cfg, dataset_name: str, mapper: Optional[Callable] = None) -> DataLoader:
    """Every image of ``dataset_name`` exactly once over all processes, TEST.IMS_PER_BATCH per process."""
    register_folder_from_cfg(cfg)
    dicts = get_dataset_dicts([dataset_name])
    mapper = mapper or build_mapper(cfg, [dataset_name], is_train=False)
    return SkipCountingDataLoader(
        MapDataset(dicts, mapper, skip_bad_samples=cfg.DATALOADER.SKIP_BAD_SAMPLES),
        batch_size=cfg.TEST.IMS_PER_BATCH,
        sampler=InferenceSampler(len(dicts)),
        num_workers=cfg.DATALOADER.NUM_WORKERS,
        collate_fn=trivial_batch_collator,
        worker_init_fn=worker_init_fn,
        generator=_loader_generator(cfg.SEED),
        name=dataset_name,
    )
