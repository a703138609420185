"""No Markdown file of the repository cites a path of a particular machine (a development machine's checkouts,
home folders, temporary files): a user who clones the repository could not follow it. Commands name files
relative to the repository or to a folder the reader chooses."""
import glob
import os
import re

from seg_engine.utils.testing import ROOT

MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|root|tmp)/|(?<![\w.~-])/home/[^/\s`]+/")
SKIPPED = ("output", "build", "dist")


def markdown_files():
    for path in glob.glob(os.path.join(ROOT, "**", "*.md"), recursive=True):
        parts = os.path.relpath(path, ROOT).split(os.sep)
        if not any(p.startswith(".") or p.endswith(".egg-info") or p in SKIPPED for p in parts[:-1]):
            yield path


def _absolute(*parts: str) -> str:
    """An absolute path from its parts, so that this file itself cites none."""
    return "/" + "/".join(parts)


def test_the_pattern_sees_machine_paths_and_nothing_else():
    machine_paths = ("see " + _absolute("work", "refs", "x.py"), f"`{_absolute('root', '.cache')}`", _absolute("tmp", "a"),
                     _absolute("home", "ann", "x"))
    assert all(MACHINE_PATH.search(text) for text in machine_paths)
    assert not any(MACHINE_PATH.search(text) for text in ("projects/PSPNet/README.md", "https://x.org" + _absolute("work", "a"),
                                                           "~/.cache/seg_engine", "a" + _absolute("tmp", "b"), "/home"))


def test_no_markdown_file_cites_a_machine_path():
    files = list(markdown_files())
    assert len(files) > 10
    found = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if MACHINE_PATH.search(line):
                    found.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()[:100]}")
    assert found == []
