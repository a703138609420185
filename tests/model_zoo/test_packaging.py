"""The recipes and the trained tables ship as package data: every project's configs folder is reached through the
link setup.py makes and matched by its package-data patterns (fast); a wheel installed without the checkout finds
the recipes, the zoo's projects and the trained models (slow: builds and installs a wheel)."""
import ast
import fnmatch
import glob
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from seg_engine.model_zoo import installed_recipes, trained
from seg_engine.plugins import installed_projects
from seg_engine.utils.testing import ROOT


def setup_constant(name: str):
    with open(os.path.join(ROOT, "setup.py")) as f:
        tree = ast.parse(f.read())
    (value,) = [ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == name]
    return value


def test_every_project_ships_its_recipes_and_tables_as_package_data():
    patterns = setup_constant("CONFIG_FILES")
    projects = installed_projects()
    for folder in sorted(glob.glob(os.path.join(ROOT, "projects", "*", "configs"))):
        name = os.path.basename(os.path.dirname(folder))
        package_dir = os.path.dirname(projects[name].__file__)
        assert os.path.realpath(os.path.join(package_dir, "configs")) == os.path.realpath(folder), name
        files = [os.path.relpath(p, os.path.dirname(folder)) for p in glob.glob(os.path.join(folder, "**", "*.yaml"), recursive=True)]
        assert files and all(any(fnmatch.fnmatch(f, p) for p in patterns) for f in files), name
    assert len(glob.glob(os.path.join(ROOT, "projects", "*", "configs", "trained.yaml"))) >= 6


def _python_that_builds_wheels():
    for python in dict.fromkeys([sys.executable, getattr(sys, "_base_executable", sys.executable)]):
        for module in ("setuptools.command.bdist_wheel", "wheel.bdist_wheel"):
            if subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0:
                return python
    return None


CHECK = """
import json, os, sys
import seg_engine
from seg_engine.config import load_config
from seg_engine.model_zoo import installed_recipes, list as zoo_list, trained
cfg = load_config("seg_engine://PSPNet/ade20k/pspnet_R50_512x512_80k_ade20k_mmseg.yaml")
rows = trained.trained_models()
name = "pspnet_r101-d8_4xb4-80k_ade20k-512x512"
print(json.dumps({
    "package": seg_engine.__file__, "psp_classes": cfg.MODEL.NUM_CLASSES,
    "recipes": {p: len(paths) for p, _, paths in installed_recipes()},
    "trained": len(rows), "depth": trained.trained_config(name).MODEL.RESNETS.DEPTH,
    "zoo_projects": sorted({r.project for r in zoo_list()}),
}))
"""


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_finds_the_recipes_and_the_trained_models(tmp_path):
    python = _python_that_builds_wheels()
    if python is None:
        pytest.skip("no Python here has setuptools' bdist_wheel (setuptools >= 70.1 or the wheel package)")
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=lambda folder, names: [
        n for n in names if n in (".git", "__pycache__", ".pytest_cache") or n.endswith(".egg-info")
        or (folder == ROOT and n in ("build", "output", "datasets"))])
    build = subprocess.run([python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(tmp_path / "wheels"), str(source)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = glob.glob(str(tmp_path / "wheels" / "seg_engine-*.whl"))
    base = getattr(sys, "_base_executable", sys.executable)  # its site-packages hold torch and the other dependencies
    subprocess.run([base, "-m", "venv", "--system-site-packages", str(tmp_path / "venv")], check=True)
    venv_python = str(tmp_path / "venv" / "bin" / "python")
    install = subprocess.run([venv_python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    run = subprocess.run([venv_python, "-c", textwrap.dedent(CHECK)], capture_output=True, text=True,
                         cwd=str(tmp_path), env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["package"].startswith(str(tmp_path / "venv")) and found["psp_classes"] == 150
    assert found["recipes"] == {p: len(paths) for p, _, paths in installed_recipes()}
    assert found["trained"] == len(trained.trained_models()) and found["depth"] == 101
    assert set(found["zoo_projects"]) == {p for p, _, paths in installed_recipes() if paths}
