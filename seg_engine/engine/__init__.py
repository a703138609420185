from .defaults import DefaultTrainer, create_ddp_model, default_argument_parser, default_setup, default_writers
from .hooks import BestCheckpointer, EvalHook, IterationTimer, LRScheduler, PeriodicCheckpointer, PeriodicWriter
from .launch import launch
from .train_loop import AMPTrainer, HookBase, SimpleTrainer, TrainerBase

__all__ = [
    "AMPTrainer",
    "BestCheckpointer",
    "DefaultTrainer",
    "EvalHook",
    "HookBase",
    "IterationTimer",
    "LRScheduler",
    "PeriodicCheckpointer",
    "PeriodicWriter",
    "SimpleTrainer",
    "TrainerBase",
    "create_ddp_model",
    "default_argument_parser",
    "default_setup",
    "default_writers",
    "launch",
]
