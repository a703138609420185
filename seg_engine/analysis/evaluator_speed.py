"""What tools/benchmark_evaluator.py runs. Time per image of SemSegEvaluator.process on synthetic scores and masks:

    python tools/benchmark_evaluator.py [--size 512 1024] [--classes 19] [--rounds 30] [--device cpu]
    python tools/benchmark_evaluator.py --baseline-file OLD/sem_seg_evaluation.py   # interleaved before/after

With --baseline-file the SemSegEvaluator of that file (e.g. ``git show REV:seg_engine/evaluation/
sem_seg_evaluation.py > old.py``) is timed too, alternating image by image with the current one, and the
two confusion matrices are compared.
"""
import argparse
import importlib.util
import json
import time
import uuid

import numpy as np
import torch

from ..data import MetadataCatalog
from ..evaluation import SemSegEvaluator


def load_baseline(path):
    spec = importlib.util.spec_from_file_location("seg_engine.evaluation._baseline_sem_seg", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SemSegEvaluator


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, nargs=2, default=(512, 1024))
    p.add_argument("--classes", type=int, default=19)
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--device", default="cpu")
    p.add_argument("--baseline-file")
    args = p.parse_args()
    name = f"_benchmark_{uuid.uuid4().hex}"
    MetadataCatalog.get(name).set(classes=[f"c{i}" for i in range(args.classes)], ignore_label=255)
    evaluators = {"current": SemSegEvaluator(name, distributed=False)}
    if args.baseline_file:
        evaluators["baseline"] = load_baseline(args.baseline_file)(name, distributed=False)
    g = torch.Generator().manual_seed(0)
    device = torch.device(args.device)
    scores = torch.randn(args.classes, *args.size, generator=g).to(device)
    gt = torch.randint(0, args.classes, tuple(args.size), generator=g, dtype=torch.uint8)
    gt[: args.size[0] // 8] = 255
    inputs, outputs = [{"sem_seg": gt, "file_name": "x.png"}], [{"sem_seg": scores}]
    times = {k: [] for k in evaluators}
    for _ in range(args.rounds + 2):
        for key, ev in evaluators.items():
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            ev.process(inputs, outputs)
            if device.type == "cuda":
                torch.cuda.synchronize()
            times[key].append(time.perf_counter() - start)
    result = {k: {"median_ms_per_image": 1000 * float(np.median(t[2:])), "min_ms": 1000 * float(np.min(t[2:]))}
              for k, t in times.items()}
    matrices = {k: ev.evaluate() and ev.confusion_matrix for k, ev in evaluators.items()}
    if "baseline" in matrices:
        result["matrices_equal"] = bool(torch.equal(matrices["current"], matrices["baseline"]))
    print(json.dumps({"size": list(args.size), "classes": args.classes, "device": str(device),
                      "torch": torch.__version__, "threads": torch.get_num_threads(), **result}, indent=2))
