from .checkpointer import Checkpointer, atomic_write

__all__ = ["Checkpointer", "atomic_write"]
