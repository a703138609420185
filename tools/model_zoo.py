#!/usr/bin/env python
"""Print the model zoo (one row per recipe of every project), or regenerate MODEL_ZOO.md:

    python tools/model_zoo.py                 # the table, FLOPs from MODEL_ZOO.flops.json ("?" where missing)
    python tools/model_zoo.py --markdown      # compute missing FLOPs, write MODEL_ZOO.md and MODEL_ZOO.flops.json

Published numbers come from projects/*/configs/published.yaml and are not reproduced here. FLOPs are
fvcore's (one multiply-add = one FLOP) at each recipe's training crop, cached by a hash of the network's
structure and the size, so regenerating after a change recomputes only the models that changed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Optional, Sequence

from tabulate import tabulate

from seg_engine import model_zoo


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="model_zoo.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", nargs="?", const=model_zoo.MARKDOWN_PATH, metavar="FILE",
                        help=f"write the zoo as markdown (default {os.path.relpath(model_zoo.MARKDOWN_PATH)}) "
                             "and the FLOPs cache next to it, computing missing FLOPs")
    parser.add_argument("--flops", action="store_true", help="compute FLOPs missing from the cache (implied by --markdown)")
    parser.add_argument("--recompute-flops", action="store_true", help="ignore the cache and count every model again")
    args = parser.parse_args(argv)
    compute = bool(args.markdown or args.flops or args.recompute_flops)
    cache = model_zoo.FLOPS_CACHE_PATH
    if args.markdown:
        cache = os.path.join(os.path.dirname(os.path.abspath(args.markdown)), os.path.basename(model_zoo.FLOPS_CACHE_PATH))
    if args.recompute_flops and os.path.isfile(cache):
        os.remove(cache)
    progress = (lambda path: print(f"{time.strftime('%H:%M:%S')} {path}", file=sys.stderr, flush=True)) if compute else None
    rows = model_zoo.list(flops=compute, flops_cache=cache, progress=progress)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(model_zoo.to_markdown(rows))
        model_zoo.write_flops_cache(rows, cache)
        print(f"wrote {args.markdown}: {len(rows)} recipes")
        return 0
    print(tabulate(model_zoo.table_rows(rows), headers=model_zoo.COLUMNS, tablefmt="simple"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
