#!/usr/bin/env python
"""The one entry point to train and evaluate:

    python tools/train_net.py --config-file X.yaml [--eval-only] [--resume] [--plugin P] [KEY VALUE ...]
"""
from __future__ import annotations

import logging
import sys

from seg_engine.checkpoint import Checkpointer
from seg_engine.config import ConfigError, get_cfg
from seg_engine.engine import DefaultTrainer, default_argument_parser, default_setup, launch
from seg_engine.plugins import PluginError, load_plugins

logger = logging.getLogger("seg_engine.train_net")


def setup(args):
    """Plugins first (they add config keys), then the config file, then command-line overrides."""
    load_plugins(args.plugin)
    cfg = get_cfg()
    cfg.merge_from_file(args.config_file)
    cfg.merge_from_list(args.opts or [])
    cfg.freeze()
    default_setup(cfg, args)
    return cfg


def main(args):
    cfg = setup(args)
    if args.eval_only:
        model = DefaultTrainer.build_model(cfg)
        if not cfg.MODEL.WEIGHTS:
            raise ConfigError("--eval-only needs MODEL.WEIGHTS (a checkpoint to evaluate)")
        Checkpointer(model, save_dir=cfg.OUTPUT_DIR, weights_format=cfg.MODEL.WEIGHTS_FORMAT).load(cfg.MODEL.WEIGHTS, checkpointables=[])
        return DefaultTrainer.test(cfg, model)
    trainer = DefaultTrainer(cfg)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


def cli(argv=None) -> int:
    args = default_argument_parser().parse_args(argv)
    try:
        launch(main, args.num_gpus, args.num_machines, args.machine_rank, args.dist_url, args=(args,))
    except (ConfigError, PluginError, FileNotFoundError) as e:
        print(f"train_net: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(cli())
