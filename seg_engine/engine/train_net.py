"""What tools/train_net.py runs: set-up, training or evaluation, and the exit statuses of the one entry point.

    python tools/train_net.py --config-file X.yaml [--eval-only] [--resume] [--plugin P] [KEY VALUE ...]
    python tools/train_net.py --model NAME --eval-only [KEY VALUE ...]      # a trained model of the zoo

User errors (config values, data, weights, a locked OUTPUT_DIR, a full disk) print one line and exit
with status 2 (``--debug`` shows the traceback); a non-finite loss exits with 3; SIGTERM/SIGINT save a
checkpoint and exit with 128 + the signal number. See docs/fault_tolerance.md.
"""
from __future__ import annotations

import logging
import os
import re
import sys

from torch.multiprocessing import ProcessRaisedException

from ..checkpoint import CheckpointError, Checkpointer
from ..config import ConfigError, load_config
from ..data import DatasetError
from ..data.io import BadSampleError
from ..evaluation import write_results_json
from ..model_zoo.trained import trained_config
from ..plugins import PluginError
from ..utils import comm
from .defaults import DefaultTrainer, default_argument_parser, default_setup, validate_config
from .hooks import TrainingPreempted
from .launch import launch
from .output_lock import release_output_dir_locks

logger = logging.getLogger("seg_engine.train_net")
USER_ERRORS = (ConfigError, PluginError, FileNotFoundError, CheckpointError, BadSampleError, DatasetError, KeyError)
_EXCEPTION_LINE = re.compile(r"^(?:\w+\.)*[A-Z]\w*: ")


def setup(args):
    """Plugins first (they add config keys), then the config file (or the trained model ``--model`` names), then
    command-line overrides."""
    if getattr(args, "model", None):
        cfg = trained_config(args.model, args.opts or [], plugins=args.plugin)
    else:
        cfg = load_config(args.config_file, args.opts or [], plugins=args.plugin)
    cfg.freeze()
    default_setup(cfg, args)
    return cfg


def main(args):
    try:
        cfg = setup(args)
        if args.eval_only:
            return evaluate(cfg, args)
        trainer = DefaultTrainer(cfg)
        trainer.resume_or_load(resume=args.resume)
        return trainer.train()
    finally:
        release_output_dir_locks()


def evaluate(cfg, args):
    if not cfg.MODEL.WEIGHTS:
        raise ConfigError("--eval-only needs MODEL.WEIGHTS (a checkpoint to evaluate)")
    validate_config(cfg, is_train=False)
    model = DefaultTrainer.build_model(cfg)
    Checkpointer(model, weights_format=cfg.MODEL.WEIGHTS_FORMAT).load_for_inference(cfg.MODEL.WEIGHTS)
    results = DefaultTrainer.test(cfg, model, output_folder=cfg.OUTPUT_DIR, per_image=args.per_image_iou,
                                  save_predictions=args.save_predictions, submission_format=args.submission_format)
    if comm.is_main_process():
        path = os.path.join(cfg.OUTPUT_DIR, "eval_results.json")
        undefined = write_results_json(path, results)
        logger.info(f"Results written to {path}")
        if undefined:
            shown = ", ".join(undefined[:5]) + (f" and {len(undefined) - 5} more" if len(undefined) > 5 else "")
            logger.warning(
                f"{len(undefined)} metric(s) are undefined (no valid pixel defines them) and written as null: {shown}"
            )
    return results


def _one_line(error: BaseException) -> str:
    """The message of ``error`` and its notes (where a checkpoint was saved), on one line. Errors
    re-raised from another process (data-loader workers, spawned ranks) carry a traceback as their
    message: its exception line, without the class, and the notes after it."""
    notes = list(getattr(error, "__notes__", ()))
    if isinstance(error, KeyError) and error.args:
        message = str(error.args[0])
    else:
        lines = [line for line in str(error).strip().splitlines() if line.strip()]
        if len(lines) <= 1:
            message = lines[0] if lines else repr(error)
        else:
            last = max((i for i, line in enumerate(lines) if _EXCEPTION_LINE.match(line)), default=len(lines) - 1)
            message = _EXCEPTION_LINE.sub("", lines[last])
            notes = [line.strip() for line in lines[last + 1 :]] + notes
    return "; ".join([message, *notes])


def cli(argv=None) -> int:
    args = default_argument_parser().parse_args(argv)
    try:
        launch(main, args.num_gpus, args.num_machines, args.machine_rank, args.dist_url, args=(args,))
    except TrainingPreempted as e:
        print(f"train_net: {e}", file=sys.stderr)
        return 143 if e.signal_name == "SIGTERM" else 130
    except FloatingPointError as e:
        if args.debug:
            raise
        print(f"train_net: error: {_one_line(e)}", file=sys.stderr)
        return 3
    except (*USER_ERRORS, ProcessRaisedException) as e:
        if args.debug:
            raise
        message = _one_line(e)
        if isinstance(e, ProcessRaisedException) and "TrainingPreempted" in str(e):
            print(f"train_net: {message}", file=sys.stderr)
            return 130 if message.startswith("SIGINT") else 143
        print(f"train_net: error: {message}", file=sys.stderr)
        return 3 if isinstance(e, ProcessRaisedException) and "FloatingPointError" in str(e) else 2
    return 0
