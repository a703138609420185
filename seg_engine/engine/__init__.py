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
    FinalCheckpointer,
    IterationTimer,
    LRScheduler,
    PeriodicCheckpointer,
    PeriodicWriter,
    PreemptionCheckpointer,
    TrainingPreempted,
)
from .launch import launch
from .output_lock import OutputDirLocked, lock_output_dir, release_output_dir_locks
from .train_loop import AMPTrainer, HookBase, SimpleTrainer, TrainerBase

__all__ = [
    "AMPTrainer",
    "BestCheckpointer",
    "DefaultPredictor",
    "DefaultTrainer",
    "EvalHook",
    "FinalCheckpointer",
    "HookBase",
    "IterationTimer",
    "LRScheduler",
    "OutputDirLocked",
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
    "lock_output_dir",
    "release_output_dir_locks",
    "validate_config",
]
