from .defaults import (
    DefaultPredictor,
    DefaultTrainer,
    create_ddp_model,
    default_argument_parser,
    default_setup,
    default_writers,
    validate_config,
)
from .hooks import (
    BestCheckpointer,
    EvalHook,
    IterationTimer,
    LRScheduler,
    PeriodicCheckpointer,
    PeriodicWriter,
    PreemptionCheckpointer,
    TrainingPreempted,
)
from .launch import launch
from .train_loop import AMPTrainer, HookBase, SimpleTrainer, TrainerBase

__all__ = [
    "AMPTrainer",
    "BestCheckpointer",
    "DefaultPredictor",
    "DefaultTrainer",
    "EvalHook",
    "HookBase",
    "IterationTimer",
    "LRScheduler",
    "PeriodicCheckpointer",
    "PeriodicWriter",
    "PreemptionCheckpointer",
    "TrainingPreempted",
    "SimpleTrainer",
    "TrainerBase",
    "create_ddp_model",
    "default_argument_parser",
    "default_setup",
    "default_writers",
    "launch",
    "validate_config",
]
