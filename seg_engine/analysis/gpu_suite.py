"""What tools/gpu_benchmark.py runs. The GPU benchmark of issue 16 (run it where a GPU is lent; tools/gpu_benchmark.sh sets it up):

    python tools/gpu_benchmark.py [--out results.json] [--iters 20] [--skip-compile]

A recipe (tools/gpu_benchmark.py: PSPNet-R50, the mmseg ADE20K recipe) at 512 x 512, batch 8, on synthetic data: training images/s and peak
memory for fp32, bf16, bf16 + channels-last, bf16 + channels-last + fused SGD, the same reading the loss
values every step (the host synchronisation of the train loop), and bf16 + channels-last + compile;
then evaluation images/s: the whole 512 x 512 image (batch 1 and 8) and the sliding window on a
512 x 1024 image (windows of 512 every 341) with TEST.WINDOW_BATCH 1 and 8. Each result is printed as
it comes and all are written to --out.
"""
import argparse
import json
import time
import traceback

import torch

from . import benchmark_inference, benchmark_training
from .benchmark import compare_window_batches, environment
from ..config import load_config
from ..modeling import build_model

BF16 = ["SOLVER.AMP.ENABLED", "True", "SOLVER.AMP.DTYPE", "bfloat16"]
CL = ["MODEL.CHANNELS_LAST", "True"]
TRAIN_MODES = [
    ("fp32", [], {}),
    ("bf16", BF16, {}),
    ("bf16+channels_last", BF16 + CL, {}),
    ("bf16+channels_last+fused_sgd", BF16 + CL + ["SOLVER.OPTIMIZER_IMPL", "fused"], {}),
    ("bf16+channels_last+read_losses_every_step", BF16 + CL, {"read_losses": True}),
    ("bf16+channels_last+compile", BF16 + CL + ["MODEL.COMPILE", "True"], {}),
]


ARGS = None


def config(opts):
    a = ARGS
    return load_config(a.recipe, ["MODEL.DEVICE", a.device, "MODEL.WEIGHTS", "", "SOLVER.IMS_PER_BATCH", str(a.batch),
                                  "INPUT.TRAIN.CROP_SIZE", f"({a.crop}, {a.crop})", *opts])


def run(name, fn, results, out):
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    start = time.perf_counter()
    try:
        result = fn()
    except Exception as e:  # one failing mode must not lose the others' numbers
        traceback.print_exc()
        result = {"error": f"{type(e).__name__}: {e}"}
    result["wall_s"] = round(time.perf_counter() - start, 1)
    results[name] = result
    print(name, json.dumps(result), flush=True)
    with open(out, "w") as f:
        json.dump({"environment": environment(), "recipe": ARGS.recipe, "results": results}, f, indent=2)


def main(recipe: str):
    """The suite on ``recipe`` (tools/gpu_benchmark.py names the one of the issue)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default=recipe, help="the recipe benchmarked (a path or seg_engine://NAME)")
    p.add_argument("--out", default="gpu_benchmark.json")
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--skip-compile", action="store_true")
    p.add_argument("--modes", nargs="+", help="only these training modes (default: all)")
    p.add_argument("--device", default="cuda", help="cpu with a small --crop: a smoke test of this script")
    p.add_argument("--crop", type=int, default=512, help="training crop and evaluation window side")
    p.add_argument("--batch", type=int, default=8, help="training images per step")
    global ARGS
    args = ARGS = p.parse_args()
    c = args.crop
    window = ["TEST.MODE", "slide", "TEST.CROP_SIZE", f"({c}, {c})", "TEST.STRIDE", f"({c * 2 // 3}, {c * 2 // 3})"]
    torch.backends.cudnn.benchmark = True
    results = {}
    print(json.dumps(environment()), flush=True)
    for name, opts, kwargs in TRAIN_MODES:
        if (args.skip_compile and "compile" in name) or (args.modes and name not in args.modes):
            continue
        cfg = config(opts)
        warmup = 5 if "compile" in name else 3
        run(f"train/{name}", lambda: benchmark_training(cfg, build_model(cfg), args.iters, warmup, **kwargs),
            results, args.out)
    model = build_model(config([]))
    for batch in (1, 8):
        run(f"eval/whole_{c}x{c}_batch{batch}_fp32",
            lambda: benchmark_inference(model, (c, c), batch, args.iters, 3), results, args.out)
    for name, opts in (("slide", window), ("slide_flip", window + ["TEST.FLIP", "True"])):
        model = build_model(config(opts))
        run(f"eval/{name}_{c}x{2 * c}_fp32_window_batch_1_vs_8",
            lambda: compare_window_batches(model, (c, 2 * c), [1, 8], args.iters, 2), results, args.out)
