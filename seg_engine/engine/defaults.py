"""DefaultTrainer and the standard start-up (argument parser, set-up) every tool shares."""
from __future__ import annotations

import argparse
import inspect
import logging
import os
import tempfile
import weakref
from collections import OrderedDict
from typing import List, Optional

import numpy as np
import torch
import yaml
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ..checkpoint import CheckpointError, Checkpointer
from ..config import CfgNode, ConfigError, validate_values, without_unused_plugin_keys
from ..data import MetadataCatalog, build_test_loader, build_train_loader
from ..data.datasets import register_folder_from_cfg
from ..data.transforms import build_augmentation
from ..evaluation import DatasetEvaluator, SemSegEvaluator, SemSegPredictionWriter, inference_on_dataset
from ..modeling import build_model
from ..plugins import packages_in_use
from ..solver import build_lr_scheduler, build_optimizer
from ..utils import comm
from ..utils.env import collect_env_info, seed_all_rng
from ..utils.events import CommonMetricPrinter, EventWriter, JSONWriter, MLflowWriter, TensorboardWriter, WandbWriter
from ..utils.logger import setup_logger
from . import hooks
from .output_lock import lock_output_dir
from .train_loop import AMPTrainer, SimpleTrainer, TrainerBase

logger = logging.getLogger(__name__)


def default_argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train or evaluate a seg_engine model.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: tools/train_net.py --config-file configs/Demo/fcn_shapes.yaml SOLVER.MAX_ITER 100",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config-file", metavar="FILE", help="path to the config file")
    source.add_argument("--model", metavar="NAME", help="a trained model by name (python tools/model_zoo.py "
                        "--pretrained): its recipe with MODEL.WEIGHTS zoo://NAME, e.g. for --eval-only")
    parser.add_argument("--resume", action="store_true", help="continue from OUTPUT_DIR/last_checkpoint")
    parser.add_argument("--eval-only", action="store_true", help="evaluate MODEL.WEIGHTS and exit")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FOLDER",
                        help="import a project that is not installed (repeatable)")
    parser.add_argument("--num-gpus", type=int, default=1,
                        help="processes per machine: one per GPU with NCCL; without CUDA, CPU processes with gloo")
    parser.add_argument("--num-machines", type=int, default=1)
    parser.add_argument("--machine-rank", type=int, default=0)
    parser.add_argument("--dist-url", default="auto", help="tcp://HOST:PORT of machine 0; auto: a free local port")
    parser.add_argument("--per-image-iou", action="store_true",
                        help="with --eval-only: also write per_image_iou.csv, the images sorted worst first")
    parser.add_argument("--save-predictions", metavar="DIR",
                        help="with --eval-only: write each prediction as a label PNG into DIR (test splits without masks too)")
    parser.add_argument("--submission-format", choices=("auto", "raw", "cityscapes", "ade20k"), default="auto",
                        help="label values of --save-predictions: train ids (raw), Cityscapes labelIds, ADE20K train id + 1; "
                             "auto: the dataset's own benchmark format")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of start-up errors")
    parser.add_argument("opts", default=None, nargs=argparse.REMAINDER, help="KEY VALUE pairs that override the config")
    return parser


def default_setup(cfg: CfgNode, args: argparse.Namespace) -> None:
    """Check every config value, create and lock OUTPUT_DIR, set up logging, log the environment,
    save config.yaml, seed everything.

    The lock (``OUTPUT_DIR/run.lock``, see :mod:`.output_lock`) is taken by the main process and held
    until :func:`release_output_dir_locks` or the process ends; a second run on the same OUTPUT_DIR
    stops here with one line naming the first. Every process raises the main process's error.
    """
    validate_values(cfg)
    output_dir = cfg.OUTPUT_DIR
    rank = comm.get_rank()
    problem, lock = "", None
    if comm.is_main_process():
        try:
            _check_writable(output_dir)
            lock = lock_output_dir(output_dir)
        except ConfigError as e:
            problem = str(e)
    problem = comm.all_gather(problem)[0] if comm.get_world_size() > 1 else problem
    if problem:
        raise ConfigError(problem)
    setup_logger(output_dir, distributed_rank=rank, name="seg_engine")
    if lock is not None and lock.stale_message:
        logger.warning(lock.stale_message)
    logger.info(f"Rank {rank} of {comm.get_world_size()}; environment:\n{collect_env_info()}")
    logger.info(f"Command line arguments: {args}")
    if cfg.SEED < 0:
        drawn = comm.all_gather(seed_all_rng(None))[0]  # rank 0's draw, the same on every rank
        was_frozen = cfg.is_frozen()
        cfg.defrost()
        cfg.SEED = drawn
        if was_frozen:
            cfg.freeze()
        logger.info(f"SEED was negative: drew {drawn} (in config.yaml; pass SEED {drawn} to repeat the run)")
    if comm.is_main_process():
        path = os.path.join(output_dir, "config.yaml")
        with open(path, "w") as f:
            f.write(without_unused_plugin_keys(cfg, packages_in_use(cfg)).dump())
        logger.info(f"Full config saved to {path}")
    logger.info(f"Seed {seed_all_rng(cfg.SEED + rank)} (SEED + rank)")
    if torch.cuda.is_available():
        torch.backends.cudnn.benchmark = cfg.CUDNN_BENCHMARK


def best_metric_name(cfg: CfgNode) -> str:
    """The metric model_best.pth is chosen by: mIoU of the (first) test dataset, as EvalHook names it."""
    return "sem_seg/mIoU" if len(cfg.DATASETS.TEST) <= 1 else f"{cfg.DATASETS.TEST[0]}/sem_seg/mIoU"


def _check_writable(output_dir: str) -> None:
    try:
        os.makedirs(output_dir, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=output_dir):
            pass
    except OSError as e:
        raise ConfigError(f"OUTPUT_DIR {output_dir} cannot be written: {e.strerror or e}") from None


def validate_config(cfg: CfgNode, is_train: bool = True) -> None:
    """Start-up checks that would otherwise fail later, or silently: each value's range, batch split,
    class counts."""
    validate_values(cfg)
    world = comm.get_world_size()
    if is_train and cfg.SOLVER.IMS_PER_BATCH % world:
        raise ConfigError(f"SOLVER.IMS_PER_BATCH ({cfg.SOLVER.IMS_PER_BATCH}) must be divisible by the number of processes ({world})")
    register_folder_from_cfg(cfg)
    names = (list(cfg.DATASETS.TRAIN) if is_train else []) + list(cfg.DATASETS.TEST)
    for name in names:
        classes = MetadataCatalog.get(name).get("classes")
        if classes is not None and len(classes) != cfg.MODEL.NUM_CLASSES:
            raise ConfigError(f"MODEL.NUM_CLASSES is {cfg.MODEL.NUM_CLASSES} but dataset {name} has {len(classes)} classes")


def create_ddp_model(model: nn.Module) -> nn.Module:
    """DistributedDataParallel when more than one process trains, else the model itself."""
    if comm.get_world_size() == 1:
        return model
    device_ids = [torch.cuda.current_device()] if next(model.parameters()).is_cuda else None
    # Buffers (BN statistics) are synced once at start, not before every forward; the keyword
    # changed name in torch 2.14.
    no_buffer_sync = (
        {"forward_sync_buffers": False}
        if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
        else {"broadcast_buffers": False}
    )
    return DistributedDataParallel(model, device_ids=device_ids, **no_buffer_sync)


def default_writers(output_dir: str, max_iter: int, cfg: Optional[CfgNode] = None) -> List[EventWriter]:
    """Console line, metrics.json, when tensorboard is installed event files, and the trackers of
    ``cfg.TRACKERS.NAMES`` (:func:`tracker_writers`)."""
    writers: List[EventWriter] = [CommonMetricPrinter(max_iter), JSONWriter(os.path.join(output_dir, "metrics.json"))]
    try:
        writers.append(TensorboardWriter(output_dir))
    except ImportError:
        logger.info("tensorboard is not installed; no TensorBoard events are written")
    return writers + (tracker_writers(cfg) if cfg is not None else [])


def tracker_writers(cfg: CfgNode) -> List[EventWriter]:
    """A W&B and/or MLflow writer for TRACKERS.NAMES (validated: each is installed)."""
    t = cfg.TRACKERS
    run_name = t.RUN_NAME or os.path.basename(os.path.abspath(cfg.OUTPUT_DIR))
    writers: List[EventWriter] = []
    for name in t.NAMES:
        if name == "wandb":
            config = yaml.safe_load(cfg.dump())
            writers.append(WandbWriter(cfg.OUTPUT_DIR, t.PROJECT, run_name, config))
        elif name == "mlflow":
            uri = t.MLFLOW_TRACKING_URI or os.environ.get("MLFLOW_TRACKING_URI")
            if not uri:
                # The local default: MLflow's file store (what mlflow-skinny can write without a
                # database), which MLflow 3 keeps behind this switch.
                uri = "file:" + os.path.abspath(os.path.join(cfg.OUTPUT_DIR, "mlruns"))
                os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
            config_file = os.path.join(cfg.OUTPUT_DIR, "config.yaml")
            writers.append(MLflowWriter(uri, t.PROJECT, run_name, _flat_config(cfg),
                                        config_file if os.path.isfile(config_file) else ""))
        logger.info(f"Tracker {name}: run {run_name!r} of {t.PROJECT!r}")
    return writers


def _flat_config(node, prefix: str = "") -> dict:
    flat = {}
    for key, value in node.items():
        if isinstance(value, dict):
            flat.update(_flat_config(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class DefaultTrainer(TrainerBase):
    """Builds everything from a config; override the ``build_*`` classmethods to change a part."""

    def __init__(self, cfg: CfgNode) -> None:
        super().__init__()
        validate_config(cfg, is_train=True)
        model = self.build_model(cfg)
        if comm.get_world_size() > 1 and cfg.MODEL.SYNC_BN:
            if next(model.parameters()).is_cuda:
                model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
                logger.info("BatchNorm layers synchronised across processes (SyncBatchNorm)")
            else:
                logger.warning("SyncBatchNorm needs CUDA: on CPU each process keeps its own BatchNorm statistics")
        optimizer = self.build_optimizer(cfg, model)
        data_loader = self.build_train_loader(cfg)
        ddp_model = create_ddp_model(model)
        if cfg.SOLVER.AMP.ENABLED:
            self._trainer: SimpleTrainer = AMPTrainer(ddp_model, data_loader, optimizer, cfg.SOLVER.AMP.DTYPE,
                                                      cfg.SOLVER.AMP.LOSS_SCALE)
            scale = f"fixed at {cfg.SOLVER.AMP.LOSS_SCALE:g}" if cfg.SOLVER.AMP.LOSS_SCALE else "dynamic"
            scaler = f" with a gradient scaler ({scale})" if cfg.SOLVER.AMP.DTYPE == "float16" else ""
            logger.info(f"AMP on: autocast to {cfg.SOLVER.AMP.DTYPE}{scaler}")
        else:
            self._trainer = SimpleTrainer(ddp_model, data_loader, optimizer)
            logger.info("AMP off: training in float32")
        self.model = model
        self.optimizer = optimizer
        self.scheduler = self.build_lr_scheduler(cfg, optimizer)
        self.checkpointer = Checkpointer(
            model,
            cfg.OUTPUT_DIR,
            save_to_disk=comm.is_main_process(),
            weights_format=cfg.MODEL.WEIGHTS_FORMAT,
            trainer=weakref.proxy(self),
        )
        self.start_iter = 0
        self.max_iter = cfg.SOLVER.MAX_ITER
        self.cfg = cfg
        self.register_hooks(self.build_hooks())

    def resume_or_load(self, resume: bool = True) -> None:
        """With ``resume`` and a checkpoint in OUTPUT_DIR, restore the whole training state from it;
        otherwise load MODEL.WEIGHTS (weights only)."""
        self.checkpointer.resume_or_load(self.cfg.MODEL.WEIGHTS, resume=resume)
        if resume and self.checkpointer.has_checkpoint():
            self.start_iter = self.iter + 1

    def build_hooks(self) -> List[Optional[hooks.HookBase]]:
        cfg = self.cfg
        main = comm.is_main_process()
        return [
            hooks.IterationTimer(),
            hooks.LRScheduler(self.optimizer, self.scheduler),
            # model_final.pth is written before the final evaluation, so that an error there cannot
            # lose the trained model (it holds the best metric of the evaluations before).
            hooks.FinalCheckpointer(self.checkpointer),
            hooks.EvalHook(cfg.TEST.EVAL_PERIOD, lambda: self.test(self.cfg, self.model)),
            # Checkpointing hooks run in every process (saving gathers each one's random state);
            # only rank 0's Checkpointer writes. The periodic one comes after evaluation, so that a
            # checkpoint written at an evaluated iteration holds the best metric of that evaluation.
            hooks.BestCheckpointer(self.checkpointer, best_metric_name(cfg)),
            hooks.PeriodicCheckpointer(self.checkpointer, cfg.SOLVER.CHECKPOINT_PERIOD, cfg.SOLVER.MAX_TO_KEEP, save_final=False),
            hooks.PeriodicWriter(lambda: default_writers(cfg.OUTPUT_DIR, self.max_iter, cfg), cfg.LOG_PERIOD) if main else None,
            hooks.PreemptionCheckpointer(self.checkpointer),
        ]

    def train(self) -> Optional[dict]:
        """Train from ``start_iter`` to SOLVER.MAX_ITER; returns the last evaluation's results."""
        if self.start_iter >= self.max_iter:
            logger.info(f"Training already finished ({self.max_iter} iterations); nothing to do")
            return None
        logger.info(
            f"Batch: {self.cfg.SOLVER.IMS_PER_BATCH} images per iteration in all, "
            f"{self.cfg.SOLVER.IMS_PER_BATCH // comm.get_world_size()} per process"
        )
        try:
            super().train(self.start_iter, self.max_iter)
        finally:
            loader = self._trainer.data_loader
            skipped = getattr(loader, "skipped", ())
            if skipped:
                distinct = len(getattr(loader, "reported", ())) or len(set(skipped))
                logger.warning(
                    f"{len(skipped)} bad training sample(s) were skipped, {distinct} distinct file(s), each "
                    "named once above (DATALOADER.SKIP_BAD_SAMPLES)"
                )
        return next((h.last_results for h in self._hooks if isinstance(h, hooks.EvalHook)), None)

    def run_step(self) -> None:
        self._trainer.iter = self.iter
        self._trainer.run_step()

    def after_step(self) -> None:
        """The hooks after a step; if one fails, the model of this (completed) step is saved first
        and the error says where (a note, shown on its line by train_net)."""
        try:
            super().after_step()
        except hooks.TrainingPreempted:
            raise
        except Exception as e:
            note = self._checkpoint_after_failure(e)
            if note:
                e.add_note(note)
            raise

    def _checkpoint_after_failure(self, error: Exception) -> str:
        """Save the state after iteration ``self.iter`` unless it is saved already; the sentence that
        says where it is. Collectives are avoided: the other processes may not be here."""
        saved = self.checkpointer.last_saved
        if saved is not None and saved[0] == self.iter:
            return f"the model after iteration {self.iter} is saved in {saved[1]} (--resume continues from it)"
        if isinstance(error, CheckpointError) or not comm.is_main_process():
            return ""
        name = f"model_{self.iter:07d}"
        self.gather_rng_states = self._trainer.gather_rng_states = False
        try:
            self.checkpointer.save(name, iteration=self.iter)
        except Exception as e:  # the original error matters more; say why nothing was saved
            return f"the model after iteration {self.iter} could not be saved: {e}"
        finally:
            self.gather_rng_states = self._trainer.gather_rng_states = True
        return f"the model after iteration {self.iter} is saved in {self.checkpointer.last_saved[1]} (--resume continues from it)"

    def state_dict(self) -> dict:
        """The step's state (optimizer, grad scaler) with this trainer's iteration, hooks and RNG."""
        return {**self._trainer.state_dict(), **super().state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self._trainer.load_state_dict(state)
        super().load_state_dict(state)

    @classmethod
    def build_model(cls, cfg: CfgNode) -> nn.Module:
        return build_model(cfg)

    @classmethod
    def build_optimizer(cls, cfg: CfgNode, model: nn.Module) -> torch.optim.Optimizer:
        return build_optimizer(cfg, model)

    @classmethod
    def build_lr_scheduler(cls, cfg: CfgNode, optimizer: torch.optim.Optimizer):
        return build_lr_scheduler(cfg, optimizer)

    @classmethod
    def build_train_loader(cls, cfg: CfgNode):
        return build_train_loader(cfg)

    @classmethod
    def build_test_loader(cls, cfg: CfgNode, dataset_name: str):
        return build_test_loader(cfg, dataset_name)

    @classmethod
    def build_evaluator(cls, cfg: CfgNode, dataset_name: str, output_folder: Optional[str] = None,
                        per_image: bool = False) -> DatasetEvaluator:
        return SemSegEvaluator(dataset_name, num_classes=cfg.MODEL.NUM_CLASSES, ignore_label=cfg.MODEL.IGNORE_VALUE,
                               output_dir=output_folder, per_image=per_image)

    @classmethod
    def test(cls, cfg: CfgNode, model: nn.Module, output_folder: Optional[str] = None, per_image: bool = False,
             save_predictions: Optional[str] = None, submission_format: str = "auto") -> dict:
        """Evaluate ``model`` on every DATASETS.TEST; one dataset gives its results directly,
        several give ``{dataset_name: results}``. With ``output_folder`` the evaluators write their
        files there, with ``save_predictions`` label PNGs in ``submission_format`` go there (in a
        sub-folder per dataset when there are several)."""
        results = OrderedDict()
        names = list(cfg.DATASETS.TEST)

        def per_dataset(folder: Optional[str], name: str) -> Optional[str]:
            return folder if folder is None or len(names) == 1 else os.path.join(folder, name)

        for name in names:
            logger.info(f"Evaluating on {name}")
            evaluators = [cls.build_evaluator(cfg, name, per_dataset(output_folder, name), per_image)]
            if save_predictions:
                evaluators.append(SemSegPredictionWriter(name, per_dataset(save_predictions, name), submission_format,
                                                         cfg.MODEL.NUM_CLASSES))
            results[name] = inference_on_dataset(model, cls.build_test_loader(cfg, name), evaluators)
        return next(iter(results.values())) if len(results) == 1 else results


class DefaultPredictor:
    """Predicts one RGB image with the model and test protocol of a config, weights from MODEL.WEIGHTS.

    ``predictor(image)`` takes an H x W x 3 uint8 RGB array and returns ``{"sem_seg": C x H x W}``
    logits at the image's size; ``.argmax(0)`` gives the labels.
    """

    def __init__(self, cfg: CfgNode) -> None:
        self.cfg = cfg.clone()
        self.model = build_model(self.cfg)
        self.model.eval()
        Checkpointer(self.model, weights_format=cfg.MODEL.WEIGHTS_FORMAT).load_for_inference(cfg.MODEL.WEIGHTS)
        self.augmentations = build_augmentation(self.cfg, is_train=False)

    def __call__(self, image) -> dict:
        height, width = image.shape[:2]
        image, _, _ = self.augmentations(image, None, np.random.default_rng(0))
        tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
        with torch.no_grad():
            return self.model([{"image": tensor, "height": height, "width": width}])[0]
