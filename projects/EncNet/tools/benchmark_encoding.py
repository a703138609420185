#!/usr/bin/env python
"""Peak memory and time of the Encoding layer's forward + backward: matrix products vs the naive form.

    python projects/EncNet/tools/benchmark_encoding.py [--batch 4] [--size 60] [--channels 512] [--codes 32]
        [--variants matmul naive]

"matmul" is this project's layer (expanded distance and aggregation as matrix products); "naive" is
the authors' broadcast formulas, which build B x N x K x D tensors, differentiated by autograd.
Each variant runs in a fresh process; its memory is the growth of the process's peak resident set
(getrusage ru_maxrss) during its first forward + backward, so it counts every tensor torch allocates
on the CPU, saved activations included. Times are the median of ``--repeats`` later passes.
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from seg_engine_projects.encnet.encoding_layer import Encoding  # noqa: E402

VARIANTS = ("matmul", "naive")


def naive_encode(x: torch.Tensor, codewords: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """The authors' formulas, materialising the B x N x K x D residuals."""
    residuals = x.unsqueeze(2) - codewords[None, None]
    assignments = torch.softmax(scale.view(1, 1, -1) * residuals.pow(2).sum(3), dim=2)
    return (assignments.unsqueeze(3) * residuals).sum(1)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(variant: str, args: argparse.Namespace) -> dict:
    """Forward + backward of one variant in this process; memory of the first pass, time of the rest."""
    torch.manual_seed(0)
    layer = Encoding(args.channels, args.codes)
    x = torch.relu(torch.randn(args.batch, args.channels, args.size, args.size)).requires_grad_()

    def step():
        if variant == "matmul":
            out = layer(x)
        else:
            out = naive_encode(x.flatten(2).transpose(1, 2), layer.codewords, layer.scale)
        out.sum().backward()
        x.grad = layer.codewords.grad = layer.scale.grad = None

    before = peak_rss_mib()
    step()
    peak = peak_rss_mib() - before
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"variant": variant, "peak_mib": peak, "seconds": statistics.median(times)}


def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    return f"{names[0] if names else platform.processor()}, {len(names)} logical cores"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=60, help="height and width of the feature map")
    parser.add_argument("--channels", type=int, default=512)
    parser.add_argument("--codes", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS),
                        help="which forms to run (the naive one needs several GiB at batch 4)")
    parser.add_argument("--run-one", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        print(json.dumps(run_one(args.run_one, args)))
        return 0
    forwarded = [f"--{k}={getattr(args, k)}" for k in ("batch", "size", "channels", "codes", "repeats")]
    rows = []
    for variant in args.variants:
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--run-one", variant, *forwarded],
                             check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    n = args.size * args.size
    largest = args.batch * n * args.codes * args.channels * 4 / 2**20
    print(f"CPU: {cpu_model()}; torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"B={args.batch}, {args.size}x{args.size} map (N={n}), D={args.channels}, K={args.codes}; "
          f"one B x N x K x D float32 tensor is {largest:.0f} MiB\n")
    print("| form | peak memory growth (MiB) | forward + backward (s) |")
    print("|---|---:|---:|")
    for row in rows:
        print(f"| {row['variant']} | {row['peak_mib']:.0f} | {row['seconds']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
