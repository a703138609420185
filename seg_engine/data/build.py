"""build_train_loader / build_test_loader: catalog dicts -> mapped, batched lists of dicts."""
from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import threading
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..utils import comm
from .catalog import DatasetCatalog, MetadataCatalog
from .datasets import register_folder_from_cfg
from .errors import DatasetError
from .io import BadSampleError, read_mask
from .mapper import SemSegDatasetMapper, map_labels
from .samplers import InferenceSampler, TrainingSampler, sample_rng
from .transforms import build_augmentation

logger = logging.getLogger(__name__)

# The key under which a mapped sample carries the messages of the bad samples skipped in its place.
SKIPPED_KEY = "skipped_bad_samples"
# Consecutive bad draws after which the dataset is taken to be broken rather than to hold a few bad files.
_MAX_CONSECUTIVE_BAD = 20


def _dicts_by_name(names: Sequence[str]) -> Dict[str, List[dict]]:
    by_name = {}
    for name in names:
        items = DatasetCatalog.get(name)
        if not items:
            raise DatasetError(f"dataset {name!r} is empty")
        by_name[name] = items
    return by_name


def get_dataset_dicts(names: Sequence[str]) -> List[dict]:
    """The concatenated dicts of the named datasets; an empty dataset is an error that names it."""
    return [d for items in _dicts_by_name(names).values() for d in items]


def _label_map(names: Sequence[str]) -> Optional[np.ndarray]:
    maps = [MetadataCatalog.get(n).get("label_map") for n in names]
    if any((m is None) != (maps[0] is None) or (m is not None and not np.array_equal(m, maps[0])) for m in maps):
        raise DatasetError(f"datasets {list(names)} map labels differently; train them separately")
    return maps[0]


def _mask_colours(names: Sequence[str]) -> Optional[tuple]:
    colours = {MetadataCatalog.get(n).get("mask_colours") for n in names}
    if len(colours) > 1:
        raise DatasetError(f"datasets {list(names)} decode colour masks with different palettes; train them separately")
    return colours.pop() if colours else None


_WARNED_FOREGROUND_IGNORED = set()
_MASKS_SAMPLED = 8


def warn_if_foreground_is_ignored(name: str, dicts: List[dict], num_classes: int, ignore_label: int) -> bool:
    """With 2 classes, masks that hold only 0 and the ignore value are almost surely binary masks
    stored as 0/255: every foreground pixel would be ignored. Warn once per dataset (a few masks,
    spread over it, are read); True when it warned."""
    if num_classes != 2 or name in _WARNED_FOREGROUND_IGNORED or not dicts:
        return False
    meta = MetadataCatalog.get(name)
    label_map, colours = meta.get("label_map"), meta.get("mask_colours")
    values = set()
    for d in dicts[:: max(1, len(dicts) // _MASKS_SAMPLED)][:_MASKS_SAMPLED]:
        try:
            mask = map_labels(read_mask(d["sem_seg_file_name"], colours), label_map, d["sem_seg_file_name"])
        except BadSampleError:
            continue  # reported when the sample is loaded
        values.update(np.unique(mask).tolist())
    if ignore_label not in values or not values <= {0, ignore_label}:
        return False
    _WARNED_FOREGROUND_IGNORED.add(name)
    logger.warning(
        f"Dataset {name}: its masks hold only 0 and {ignore_label}, the ignore value, with MODEL.NUM_CLASSES 2, "
        f"so every foreground pixel is ignored; if {ignore_label} marks the foreground, map it to class 1 "
        f"(DATASETS.FOLDER.LABEL_MAP \"{{{ignore_label}: 1}}\" for a folder dataset) or store the masks as 0/1"
    )
    return True


class MapDataset(Dataset):
    """Applies ``mapper`` to a list of dicts. Training keys are ``(position, index)`` pairs, and the
    sample's augmentations draw from ``sample_rng(seed, position)``, so they do not depend on the
    worker that maps it nor on where training resumed.

    With ``skip_bad_samples`` a :class:`BadSampleError` does not stop the loader: the sample is
    replaced by one drawn from its own generator (training) or left out (testing: an item holding only
    the message). The messages travel under ``SKIPPED_KEY`` to :class:`SkipCountingDataLoader`, which
    reports and counts them in the main process.
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
            return {SKIPPED_KEY: [str(e)]}

    def _map_skipping_bad(self, index: int, rng: np.random.Generator) -> dict:
        skipped: List[str] = []
        while len(skipped) < _MAX_CONSECUTIVE_BAD:
            try:
                out = self.mapper(self.dicts[index], rng)
            except BadSampleError as e:
                skipped.append(str(e))
                index = int(rng.integers(len(self.dicts)))
                continue
            if skipped:
                out[SKIPPED_KEY] = skipped
            return out
        raise BadSampleError(f"{len(skipped)} bad samples in a row; is the dataset broken? The last: {skipped[-1]}")


class SkipCountingDataLoader(DataLoader):
    """A DataLoader that takes the skip messages out of its batches, drops left-out test samples (and
    batches left empty) and keeps every message in ``skipped``. In the main process it reports each
    bad file once, when it is first met (training draws the same file again every epoch), and the
    count in total when an iteration ends."""

    def __init__(self, *args, name: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name = name
        self.skipped: List[str] = []
        self.reported: Dict[str, None] = {}  # distinct messages, in the order met

    def __iter__(self):
        # Workers start here, with SIGTERM/SIGINT blocked (see worker_init_fn), so a signal to the
        # process group while they start cannot kill them either. OpenCV is set to one thread before
        # they fork, not inside them: resizing OpenCV's thread pool in a forked child whose parent had
        # used it hangs in pthread_cond_destroy.
        if self.num_workers > 0:
            cv2.setNumThreads(1)
        with _preemption_signals_blocked():
            batches = super().__iter__()
        return self._without_skipped(batches)

    def _without_skipped(self, batches):
        try:
            for batch in batches:
                left_out = False
                for x in batch:
                    for message in x.pop(SKIPPED_KEY, ()):
                        self.skipped.append(message)
                        left_out |= "image" not in x
                        self._report_once(message, replaced="image" in x)
                if left_out:
                    batch = [x for x in batch if "image" in x]
                if batch:
                    yield batch
        finally:
            if self.skipped:
                logger.warning(
                    f"{len(self.skipped)} bad sample(s) skipped in {self.name} in all "
                    f"({len(self.reported)} distinct file(s))"
                )

    def _report_once(self, message: str, replaced: bool) -> None:
        if message in self.reported:
            return
        self.reported[message] = None
        action = "Skipping" if replaced else "Leaving out"
        logger.warning(
            f"{action} a bad sample: {message} ({len(self.reported)} bad file(s) so far in {self.name}; "
            "each is reported once)"
        )


def _warn_about_labels(cfg, by_name: Dict[str, List[dict]]) -> None:
    if comm.is_main_process():
        for name, dicts in by_name.items():
            warn_if_foreground_is_ignored(name, dicts, cfg.MODEL.NUM_CLASSES, cfg.MODEL.IGNORE_VALUE)


PREEMPTION_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def _preemption_signals_blocked():
    """Hold SIGTERM/SIGINT back in this thread (they are delivered when the block ends)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, PREEMPTION_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def trivial_batch_collator(batch: list) -> list:
    return batch


def worker_init_fn(worker_id: int) -> None:
    """Seed NumPy and Python in each worker from torch's per-worker seed (itself from the run's seed) and
    leave SIGTERM/SIGINT to the main process (:func:`_leave_signals_to_the_main_process`). OpenCV runs
    one thread there (the workers already use the cores in parallel), set before the fork."""
    _leave_signals_to_the_main_process()
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def _leave_signals_to_the_main_process() -> None:
    """Schedulers (SLURM's scancel, Kubernetes) and Ctrl-C signal every process of the job at once. A
    worker that died of it would take the batch of the current step, and with it the preemption
    checkpoint, down; the main process decides instead: it finishes the step, saves, and shuts the
    workers down. So the worker keeps SIGTERM/SIGINT blocked (they were blocked when it was forked, see
    :meth:`SkipCountingDataLoader.__iter__`) and a thread takes them: one from the main process itself
    (torch or multiprocessing terminating its workers) ends the worker, as torch's own handler does;
    one from anyone else is dropped. A worker whose main process is gone still exits (torch's watchdog).
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, PREEMPTION_SIGNALS)
    parent = os.getppid()

    def take_signals() -> None:
        while True:
            info = signal.sigwaitinfo(PREEMPTION_SIGNALS)
            if info.si_pid == parent:
                os._exit(0)

    threading.Thread(target=take_signals, name="preemption_signals", daemon=True).start()


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
        mask_colours=_mask_colours(dataset_names),
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
    by_name = _dicts_by_name(names)
    _warn_about_labels(cfg, by_name)
    dicts = [d for items in by_name.values() for d in items]
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
    by_name = _dicts_by_name([dataset_name])
    _warn_about_labels(cfg, by_name)
    dicts = by_name[dataset_name]
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
