"""launch(): one process per device (NCCL on GPUs, gloo on CPU), or join torchrun's/SLURM's group."""
from __future__ import annotations

import gc
import logging
import os
import signal
import socket
from datetime import timedelta
from typing import Any, Callable, Tuple

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from ..utils import comm

logger = logging.getLogger(__name__)
DEFAULT_TIMEOUT = timedelta(minutes=30)


def _find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _backend() -> str:
    return "nccl" if torch.cuda.is_available() else "gloo"


def launched_externally() -> bool:
    """True under torchrun (RANK and WORLD_SIZE set) or in a SLURM job step of several tasks."""
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        return True
    return "SLURM_PROCID" in os.environ and int(os.environ.get("SLURM_NTASKS", "1")) > 1


def _env_from_slurm() -> None:
    """Fill torchrun's variables from SLURM's (one task per device); MASTER_ADDR must be given."""
    if "RANK" in os.environ:
        return
    env = os.environ
    env["RANK"] = env["SLURM_PROCID"]
    env["WORLD_SIZE"] = env["SLURM_NTASKS"]
    env["LOCAL_RANK"] = env.get("SLURM_LOCALID", "0")
    # SLURM_TASKS_PER_NODE is always set, as "8(x2)" or "8,4" (the first node's count comes first).
    per_node = env.get("SLURM_NTASKS_PER_NODE") or env.get("SLURM_TASKS_PER_NODE", env["WORLD_SIZE"])
    env.setdefault("LOCAL_WORLD_SIZE", per_node.split("(")[0].split(",")[0])
    env.setdefault("MASTER_PORT", "29500")
    if "MASTER_ADDR" not in env:
        raise RuntimeError("under SLURM set MASTER_ADDR to the first node of the job (see docs/distributed.md)")


def launch(
    main_func: Callable[..., Any],
    num_gpus_per_machine: int,
    num_machines: int = 1,
    machine_rank: int = 0,
    dist_url: str = "auto",
    args: Tuple = (),
) -> Any:
    """Run ``main_func(*args)`` in every process of the job.

    Under torchrun the environment already describes the job and nothing is spawned. Otherwise
    ``num_gpus_per_machine`` processes start here (CPU processes with gloo when CUDA is absent).
    """
    if launched_externally():
        _init_from_env()
        return main_func(*args)
    world_size = num_machines * num_gpus_per_machine
    if world_size == 1:
        return main_func(*args)
    if dist_url == "auto":
        if num_machines != 1:
            raise ValueError("--dist-url auto works on one machine only; give tcp://HOST:PORT of machine 0")
        dist_url = f"tcp://127.0.0.1:{_find_free_port()}"
    if torch.cuda.is_available() and num_gpus_per_machine > torch.cuda.device_count():
        raise ValueError(f"--num-gpus {num_gpus_per_machine} but only {torch.cuda.device_count()} GPUs are visible")
    context = mp.start_processes(
        _worker,
        nprocs=num_gpus_per_machine,
        args=(main_func, world_size, num_gpus_per_machine, machine_rank, dist_url, args),
        daemon=False,
        start_method="spawn",
        join=False,
    )
    _join_forwarding_signals(context)


def _join_forwarding_signals(context) -> None:
    """Wait for the workers; SIGTERM/SIGINT sent to this process go on to them (they checkpoint and
    stop), instead of killing the launcher first."""

    def forward(signum, frame):
        for process in context.processes:
            if process.is_alive():
                os.kill(process.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    # When one process fails (or stops on a signal) torch terminates the others and warns of each;
    # train_net's one line already says what happened.
    spawn_logger = logging.getLogger("torch.multiprocessing.spawn")
    level = spawn_logger.level
    spawn_logger.setLevel(logging.ERROR)
    try:
        while not context.join():
            pass
    finally:
        spawn_logger.setLevel(level)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _worker(local_rank, main_func, world_size, num_per_machine, machine_rank, dist_url, args) -> None:
    rank = machine_rank * num_per_machine + local_rank
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
    dist.init_process_group(_backend(), init_method=dist_url, world_size=world_size, rank=rank, timeout=DEFAULT_TIMEOUT)
    comm.synchronize()
    try:
        main_func(*args)
        # Free what the run left in reference cycles (the trainer and its DDP model) while the process
        # group still exists, and let no rank tear the group down while another still talks to it:
        # either can abort a process at exit.
        gc.collect()
        comm.synchronize()
    finally:
        dist.destroy_process_group()


def _init_from_env() -> None:
    _env_from_slurm()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(_backend(), init_method="env://", timeout=DEFAULT_TIMEOUT)
