"""``tools/check_parity.py``: argument parsing, the listing of every converter's reference, the report of a check.

    python tools/check_parity.py CONVERTER [--reference-root DIR] [--sizes 97x65,128x96] [--json FILE] [--negative]
                                 [KEY VALUE ...]
    python tools/check_parity.py --list
    python tools/check_parity.py --table REPORT.json ...

Exit status: 0 when every check passes, 1 when one fails (or, with ``--negative``, as the perturbed check must), 2
with one line when the reference is missing (the line says how to get it) or an argument is wrong.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from typing import Any, Dict, List, Optional, Sequence

from ..checkpoint import WEIGHT_CONVERTERS
from ..plugins import load_plugins
from ..utils.cli import run_tool
from .measure import LOGIT_TOLERANCE, MIN_ARGMAX_AGREEMENT
from .protocol import check_parity, format_sizes
from .reference import PARITY_REFERENCES, ParityReference, Size, git_commit, select_references

SEG_ENGINE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _IntermixedParser(argparse.ArgumentParser):
    """Options may come before or after CONVERTER and the KEY VALUE pairs."""

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        return self.parse_intermixed_args(args, namespace)


def parser(prog: str = "check_parity.py") -> argparse.ArgumentParser:
    p = _IntermixedParser(prog=prog, description="Check a weight converter against its reference model: random "
                                "weights saved in the reference's layout, loaded through the converter, logits compared.")
    p.add_argument("converter", nargs="?", help="a converter (MODEL.WEIGHTS_FORMAT) or a parity entry; see --list")
    p.add_argument("--list", action="store_true", help="every converter, its reference, recipe and how to get it")
    p.add_argument("--table", nargs="+", metavar="REPORT.json", help="a Markdown table of reports written by --json")
    p.add_argument("--reference-root", default="", metavar="DIR",
                   help="the reference's checkout, or a folder holding checkouts by repository name")
    p.add_argument("--sizes", default="", metavar="HxW,HxW", help="input sizes (default: the entry's, 97x65,128x96)")
    p.add_argument("--json", default="", metavar="FILE", help="write the report(s) to FILE")
    p.add_argument("--negative", action="store_true", help="swap two channels of one reference tensor: must fail")
    p.add_argument("--seed", type=int, default=0, help="of the random weights and images")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FOLDER",
                   help="import a project that is not installed (repeatable)")
    p.add_argument("--debug", action="store_true", help="show the traceback of errors")
    p.add_argument("opts", nargs="*", default=[], metavar="KEY VALUE",
                   help="KEY VALUE pairs added to our model's config after the entry's (to see what a setting changes)")
    return p


def parse_sizes(text: str) -> List[Size]:
    """``"97x65,128x96"`` -> [(97, 65), (128, 96)] (height x width); a ValueError names a bad item."""
    sizes = []
    for item in text.split(","):
        parts = item.strip().lower().split("x")
        if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ValueError(f"--sizes: {item.strip()!r} is not HEIGHTxWIDTH (e.g. 97x65)")
        sizes.append((int(parts[0]), int(parts[1])))
    return sizes


def environment() -> Dict[str, str]:
    """What a report ran with: Python, torch, the CPU, and this checkout's commit."""
    import torchvision

    from ..analysis.benchmark import environment as machine

    return {**machine(), "torchvision": torchvision.__version__, "platform": platform.platform(),
            "seg_engine_commit": git_commit(SEG_ENGINE_ROOT) or "unknown (not a git checkout)"}


def listing() -> str:
    """Every registered converter with its parity entries (or the line saying it has none), then the entries of
    models without a converter."""
    lines = []
    entries = sorted(PARITY_REFERENCES.values(), key=lambda e: (e.converter or "~", e.name))
    for name in sorted(name for name, _ in WEIGHT_CONVERTERS):
        mine = [e for e in entries if e.converter == name]
        if not mine:
            lines += [name, "  NO PARITY ENTRY: register a ParityReference for it (seg_engine.parity)", ""]
        for entry in mine:
            lines += describe(entry)
    for entry in entries:
        if not entry.converter:
            lines += describe(entry)
    return "\n".join(lines).rstrip()


def describe(entry: ParityReference) -> List[str]:
    recipe, opts = entry.recipe_and_opts()
    lines = [entry.name if entry.name == entry.converter or not entry.converter else f"{entry.name} ({entry.converter})",
             f"  reference: {entry.reference}"]
    if entry.runnable:
        lines += [f"  needs:     {entry.requires.describe()}",
                  f"  ours:      {' '.join([recipe, *map(str, opts)])}",
                  f"  compares:  {entry.compared} at {format_sizes(entry.sizes)}"]
    if entry.checked_against:
        lines.append(f"  checked against: {entry.checked_against}")
    if entry.notes:
        lines.append(f"  notes:     {entry.notes}")
    return lines + [""]


def print_report(report: Dict[str, Any]) -> None:
    print(f"{report['name']}: {report['reference']}")
    versions = ", ".join(f"{k} {v}" for k, v in report["reference_versions"].items())
    print(f"  reference versions: {versions}")
    print(f"  ours: {' '.join([report['recipe'], *report['opts']])}, MODEL.WEIGHTS_FORMAT {report['converter']}")
    params = report["parameters"]
    print(f"  parameters: reference {params['reference']:,}, ours {params.get('ours', 0):,}")
    if report.get("negative_control"):
        print(f"  negative control: {report['negative_control']}")
    if "error" in report:
        print(f"  {report['error']}")
    keys = report.get("keys")
    if keys:
        print(f"  file: {keys['file_tensors_converted']} tensors converted for our {keys['our_keys_in_scope']} keys; "
              f"missing {len(keys['missing'])}, unexpected {len(keys['unexpected'])}, other shape "
              f"{len(keys['other_shape'])}" + "".join(f"\n    {kind}: {', '.join(keys[kind][:5])}"
                                                       for kind in ("missing", "unexpected", "other_shape") if keys[kind]))
    for row in report.get("sizes", []):
        size = f"{row['size'][0]}x{row['size'][1]}"
        if "error" in row:
            print(f"  {size}: {row['error']}")
            continue
        offline = row.get("offline_max_abs_diff")
        print(f"  {size}: max |diff| {row['max_abs_diff']:.2e} of max |logit| {row['max_abs_logit']:.2e} = "
              f"{row['relative']:.2e}, argmax {100 * row['argmax_agreement']:.2f} %"
              + ("" if offline is None else f", offline conversion max |diff| {offline:.1e}"))
    verdict = "PASS" if report["passed"] else "FAIL"
    print(f"  {verdict} (within {LOGIT_TOLERANCE:g} of the largest |logit| and argmax >= "
          f"{100 * MIN_ARGMAX_AGREEMENT:g} % at every size, every key loaded, offline path identical)")


def markdown_table(reports: Sequence[Dict[str, Any]]) -> str:
    """One row per report: entry, reference version, each size's max |diff|, largest |logit|, their ratio and argmax
    agreement, parameters, verdict."""
    rows = ["| entry | reference | size: max \\|diff\\| / max \\|logit\\| = ratio, argmax | parameters (ours / reference) | |",
            "|---|---|---|---|---|"]
    for r in reports:
        versions = ", ".join(f"{k} {v[:12]}" for k, v in r["reference_versions"].items())
        sizes = "; ".join(f"{s['size'][0]}x{s['size'][1]}: {s['max_abs_diff']:.1e} / {s['max_abs_logit']:.3g} = "
                          f"{s['relative']:.1e}, {100 * s['argmax_agreement']:.2f} %"
                          if "relative" in s else f"{s['size'][0]}x{s['size'][1]}: {s['error']}"
                          for s in r.get("sizes", [])) or r.get("error", "")
        params = r["parameters"]
        rows.append(f"| `{r['name']}` | {versions} | {sizes} | {params.get('ours', 0):,} / {params['reference']:,} | "
                    f"{'pass' if r['passed'] else 'FAIL'} |")
    return "\n".join(rows)


def run(args: argparse.Namespace, convert_tool: Optional[str]) -> int:
    """What the command line asks for; returns 0 when every check passed, else 1."""
    if args.table:
        reports = []
        for path in args.table:
            with open(path) as f:
                loaded = json.load(f)
            reports += loaded["reports"] if isinstance(loaded, dict) and "reports" in loaded else [loaded]
        print(markdown_table(reports))
        return 0
    load_plugins(args.plugin)
    if args.list:
        print(listing())
        return 0
    if not args.converter:
        raise ValueError("name a CONVERTER (see --list)")
    entries = select_references(args.converter)
    sizes = parse_sizes(args.sizes) if args.sizes else None
    reports = []
    for entry in entries:
        report = check_parity(entry, args.reference_root or None, sizes, args.negative, args.seed, convert_tool,
                              args.opts)
        print_report(report)
        reports.append(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": environment(), "reports": reports}, f, indent=1)
    return 0 if all(r["passed"] for r in reports) else 1


def main(argv: Optional[Sequence[str]] = None, convert_tool: Optional[str] = None) -> int:
    """The tool: exit status 0 (pass), 1 (a check failed), 2 (one line: missing reference, bad argument)."""
    status: Dict[str, int] = {}
    code = run_tool(lambda args: status.update(code=run(args, convert_tool)), parser(), argv)
    return code or status.get("code", 0)


if __name__ == "__main__":
    sys.exit(main())
