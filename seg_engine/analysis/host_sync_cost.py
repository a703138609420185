"""What tools/benchmark_host_sync.py runs. What reading the loss values every step costs: a training step of the demo FCN (96 x 96, batch 8) with
and without the train loop's read (stack, .tolist(), finiteness), interleaved; medians. Usage:

    OMP_NUM_THREADS=1 python tools/benchmark_host_sync.py [--steps 20]
"""
import argparse
import math
import time

import numpy as np
import torch

from .benchmark import synthetic_batch
from ..config import get_cfg
from ..modeling import build_model
from ..solver import build_optimizer


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    args = p.parse_args()
    cfg = get_cfg()
    cfg.merge_from_file("configs/Demo/fcn_shapes.yaml")
    cfg.MODEL.DEVICE = "cpu"
    torch.manual_seed(0)
    model = build_model(cfg).train()
    optimizer = build_optimizer(cfg, model)
    data = synthetic_batch(tuple(cfg.INPUT.TRAIN.CROP_SIZE), cfg.SOLVER.IMS_PER_BATCH, cfg.MODEL.NUM_CLASSES)

    def step(read):
        start = time.perf_counter()
        losses = model(data)
        optimizer.zero_grad(set_to_none=True)
        sum(losses.values()).backward()
        read_start = time.perf_counter()
        if read:
            values = torch.stack([losses[k].detach().float() for k in sorted(losses)]).tolist()
            assert all(math.isfinite(v) for v in values)
        read_time = time.perf_counter() - read_start
        optimizer.step()
        return time.perf_counter() - start, read_time

    steps = {True: [], False: []}
    reads = []
    for i in range(3 + args.steps):
        for read in (True, False):
            total, read_time = step(read)
            if i >= 3:
                steps[read].append(total)
                if read:
                    reads.append(read_time)
    print(f"step with the read {1000 * np.median(steps[True]):.1f} ms, without {1000 * np.median(steps[False]):.1f} ms "
          f"(medians of {args.steps}); the read itself {1e6 * np.median(reads):.0f} us")
