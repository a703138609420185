"""build_train_loader / build_test_loader: catalog dicts -> mapped, batched lists of dicts."""
from __future__ import annotations

import logging
import random
from typing import Callable, List, Optional, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..utils import comm
from .catalog import DatasetCatalog, MetadataCatalog
from .datasets import register_folder_from_cfg
from .mapper import SemSegDatasetMapper
from .samplers import InferenceSampler, TrainingSampler, sample_rng
from .transforms import build_augmentation

logger = logging.getLogger(__name__)


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
    worker that maps it nor on where training resumed."""

    def __init__(self, dicts: List[dict], mapper: Callable, seed: int = 0) -> None:
        self.dicts = dicts
        self.mapper = mapper
        self.seed = seed

    def __len__(self) -> int:
        return len(self.dicts)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            position, index = key
            return self.mapper(self.dicts[index], sample_rng(self.seed, position))
        return self.mapper(self.dicts[key])


def trivial_batch_collator(batch: list) -> list:
    return batch


def worker_init_fn(worker_id: int) -> None:
    """Seed NumPy and Python in each worker from torch's per-worker seed (itself from the run's seed)."""
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


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
    return DataLoader(
        MapDataset(dicts, mapper, seed=cfg.SEED),
        batch_size=total // world,
        sampler=sampler,
        drop_last=True,
        num_workers=cfg.DATALOADER.NUM_WORKERS,
        collate_fn=trivial_batch_collator,
        worker_init_fn=worker_init_fn,
        persistent_workers=cfg.DATALOADER.NUM_WORKERS > 0,
        generator=_loader_generator(cfg.SEED),
    )


def build_test_loader(cfg, dataset_name: str, mapper: Optional[Callable] = None) -> DataLoader:
    """Every image of ``dataset_name`` exactly once over all processes, TEST.IMS_PER_BATCH per process."""
    register_folder_from_cfg(cfg)
    dicts = get_dataset_dicts([dataset_name])
    mapper = mapper or build_mapper(cfg, [dataset_name], is_train=False)
    return DataLoader(
        MapDataset(dicts, mapper),
        batch_size=cfg.TEST.IMS_PER_BATCH,
        sampler=InferenceSampler(len(dicts)),
        num_workers=cfg.DATALOADER.NUM_WORKERS,
        collate_fn=trivial_batch_collator,
        worker_init_fn=worker_init_fn,
        generator=_loader_generator(cfg.SEED),
    )
