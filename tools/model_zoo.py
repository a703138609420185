#!/usr/bin/env python
"""Print the model zoo (one row per recipe of every project), or regenerate MODEL_ZOO.md:

    python tools/model_zoo.py                 # the table, FLOPs from MODEL_ZOO.flops.json ("?" where missing)
    python tools/model_zoo.py --markdown      # compute missing FLOPs, write MODEL_ZOO.md and MODEL_ZOO.flops.json
    python tools/model_zoo.py --pretrained    # the trained models by name, one per line with its URL
    python tools/model_zoo.py --generate-trained MMSEG   # rewrite the generated projects/*/configs/trained.yaml
    python tools/model_zoo.py --compare-mmseg NAME [NAME ...] [--images FILE_OR_FOLDER ...]

MMSEG is an mmsegmentation wheel (.whl), the site-packages it is installed in, or its mmseg/.mim/configs folder;
--generate-trained is run by hand when a source publishes new checkpoints (see docs/model_zoo.md).
--compare-mmseg (where mmsegmentation 1.2.2 is installed) predicts the images (by default five generated PNGs of
odd sizes) with each trained model's recipe and with mmsegmentation's inference_model, both with the same random
weights, and prints the share of pixels whose labels agree, as JSON lines.

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
from seg_engine.model_zoo import trained
from seg_engine.utils.cli import run_tool


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="model_zoo.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", nargs="?", const=model_zoo.MARKDOWN_PATH, metavar="FILE",
                        help=f"write the zoo as markdown (default {os.path.relpath(model_zoo.MARKDOWN_PATH)}) "
                             "and the FLOPs cache next to it, computing missing FLOPs")
    parser.add_argument("--flops", action="store_true", help="compute FLOPs missing from the cache (implied by --markdown)")
    parser.add_argument("--recompute-flops", action="store_true", help="ignore the cache and count every model again")
    parser.add_argument("--pretrained", action="store_true",
                        help="list the trained models (zoo://NAME, SegModel.from_pretrained, --model NAME) and the "
                             "checkpoints their sources publish that cannot be rebuilt here (--skipped)")
    parser.add_argument("--skipped", action="store_true", help="with --pretrained: list the skipped checkpoints instead")
    parser.add_argument("--generate-trained", metavar="MMSEG",
                        help="write the trained tables from mmsegmentation's metafiles and torchvision's weight enums")
    parser.add_argument("--compare-mmseg", nargs="+", metavar="NAME",
                        help="label maps of these trained models' recipes against mmsegmentation's inference_model")
    parser.add_argument("--images", nargs="+", metavar="FILE_OR_FOLDER",
                        help="with --compare-mmseg: the images (default: five generated PNGs of odd sizes)")
    parser.add_argument("--debug", action="store_true", help="show the traceback of errors")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The tool; a user error (an unknown name, mmsegmentation missing, an image it refuses) is one line, exit 2."""
    return run_tool(run, parser(), argv)


def run(args: argparse.Namespace) -> int:
    if args.compare_mmseg:
        return compare_mmseg(args.compare_mmseg, args.images)
    if args.pretrained:
        return print_pretrained(args.skipped)
    if args.generate_trained:
        return generate(args.generate_trained)
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


def print_pretrained(skipped: bool) -> int:
    if skipped:
        rows = [[s.project, s.name, s.reason] for s in trained.skipped_models()]
        print(tabulate(rows, headers=["project", "name", "why it is not in the zoo"], tablefmt="simple"))
        return 0
    rows = trained.table_rows(trained.trained_models().values())
    print(tabulate(rows, headers=trained.TABLE_COLUMNS, tablefmt="simple", disable_numparse=True))
    return 0


def generate(mmseg: str) -> int:
    from seg_engine.model_zoo.generate_trained import generate_trained

    written, skipped = generate_trained(mmseg)
    for project, path in written.items():
        print(f"wrote {path}")
    for project, names in sorted(skipped.items()):
        for name, reason in names.items():
            print(f"skipped {name} ({project or 'no project'}): {reason}")
    print(f"{len(written)} tables written; {sum(len(n) for n in skipped.values())} checkpoints skipped")
    return 0


def compare_mmseg(names, images) -> int:
    import glob
    import json
    import tempfile

    from seg_engine.model_zoo.mmseg_predictions import compare_predictions, write_test_images

    with tempfile.TemporaryDirectory() as tmp:
        files = [f for i in images for f in (sorted(glob.glob(os.path.join(i, "*"))) if os.path.isdir(i) else [i])] \
            if images else write_test_images(tmp)
        worst, widest = 1.0, 0.0
        for name in names:
            result = compare_predictions(name, files)
            worst, widest = min(worst, result["agreement"]), max(widest, result["widest_margin_where_labels_differ"])
            print(json.dumps(result), flush=True)
    print(f"{len(names)} models, {len(files)} images: lowest pixel agreement {100 * worst:.4f}%; "
          f"where labels differ, mmsegmentation's top-1 minus top-2 score is at most {widest:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
