"""The shared frame of the after-training tools: plugins, the config, and one-line errors (exit 2)."""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Optional, Sequence

from ..config import CfgNode, load_config

# Errors caused by the user's input; each prints one line (the traceback with --debug).
USER_ERROR_TYPES = (ValueError, KeyError, FileNotFoundError, ImportError, RuntimeError, OSError)


def tool_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An argument parser named ``prog`` (its errors start with it) with --config-file or --model, --plugin,
    --debug and trailing KEY VALUE overrides."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config-file", metavar="FILE", help="a recipe or a run's config.yaml")
    source.add_argument("--model", metavar="NAME",
                        help="a trained model by name (python tools/model_zoo.py --pretrained): its recipe and weights")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FOLDER",
                        help="import a project that is not installed (repeatable)")
    parser.add_argument("--debug", action="store_true", help="show the traceback of errors")
    parser.add_argument("opts", nargs=argparse.REMAINDER, default=[], help="KEY VALUE pairs that override the config")
    return parser


def config_of(args: argparse.Namespace, weights: Optional[str] = None) -> CfgNode:
    """The config a tool's arguments name: :func:`seg_engine.config.load_config` of ``--config-file`` (or the
    trained model ``--model`` names) with the ``--plugin`` projects, ``weights`` (MODEL.WEIGHTS) and the KEY VALUE
    overrides."""
    if getattr(args, "model", None):
        from ..model_zoo.trained import trained_config

        opts = list(args.opts or []) + (["MODEL.WEIGHTS", weights] if weights else [])
        return trained_config(args.model, opts, plugins=args.plugin)
    return load_config(args.config_file, args.opts or [], plugins=args.plugin, weights=weights or None)


def run_tool(main: Callable[[argparse.Namespace], object], parser: argparse.ArgumentParser,
             argv: Optional[Sequence[str]] = None) -> int:
    """``main(args)``; a user error prints ``<prog>: error: <one line>`` and returns 2."""
    args = parser.parse_args(argv)
    try:
        main(args)
    except USER_ERROR_TYPES as e:
        if args.debug:
            raise
        message = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
        lines = [line for line in message.strip().splitlines() if line.strip()]
        print(f"{parser.prog}: error: {lines[0] if lines else type(e).__name__}", file=sys.stderr)
        return 2
    return 0
