"""Install seg_engine and every project under projects/: ``pip install -e ".[dev]"``.

A project is ``projects/<Name>/<package>/__init__.py``. It installs as ``seg_engine_projects.<package>`` (one
namespace, so no project shadows a package of another distribution) and is announced as ``<Name>`` in the
entry-point group ``seg_engine.projects``, which ``seg_engine.plugins`` imports. Its recipes
(``projects/<Name>/configs``) and the core's shared configs (``configs/``) ship as package data, reached through
links this script makes (``<package>/configs`` and ``seg_engine/model_zoo/configs``, as detectron2 ships its
configs), so a wheel finds its recipes too. Adding a project edits nothing here.
"""
import glob
import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))
NAMESPACE = "seg_engine_projects"
CONFIG_FILES = ["configs/*.yaml", "configs/**/*.yaml"]


def link(target: str, name: str) -> None:
    """A relative symlink ``name`` -> ``target`` (kept when it exists; both are gitignored)."""
    if not os.path.lexists(name):
        os.symlink(os.path.relpath(target, os.path.dirname(name)), name)


def project_packages():
    """(packages, package_dir, package_data, entry points) of every projects/<Name>/<package>."""
    packages, package_dir, package_data, entry_points = [], {}, {}, []
    for init in sorted(glob.glob(os.path.join(HERE, "projects", "*", "*", "__init__.py"))):
        pkg_path = os.path.dirname(init)
        name = os.path.basename(pkg_path)
        if name == "tests":
            continue
        project = os.path.dirname(pkg_path)
        if os.path.isdir(os.path.join(project, "configs")):
            link(os.path.join(project, "configs"), os.path.join(pkg_path, "configs"))
        installed = f"{NAMESPACE}.{name}"
        for found in find_packages(where=project, include=[name, f"{name}.*"]):
            packages.append(f"{NAMESPACE}.{found}")
            package_dir[f"{NAMESPACE}.{found}"] = os.path.relpath(os.path.join(project, *found.split(".")), HERE)
        package_data[installed] = CONFIG_FILES
        entry_points.append(f"{os.path.basename(project)} = {installed}")
    return packages, package_dir, package_data, entry_points


link(os.path.join(HERE, "configs"), os.path.join(HERE, "seg_engine", "model_zoo", "configs"))
PROJECT_PACKAGES, PROJECT_DIRS, PROJECT_DATA, PROJECT_ENTRY_POINTS = project_packages()

setup(
    name="seg_engine",
    version="0.1.0",
    description="A detectron2-style semantic segmentation toolbox on PyTorch",
    python_requires=">=3.9",
    packages=find_packages(include=["seg_engine", "seg_engine.*"]) + PROJECT_PACKAGES,
    package_dir=PROJECT_DIRS,
    package_data={"seg_engine.model_zoo": CONFIG_FILES, **PROJECT_DATA},
    entry_points={"seg_engine.projects": PROJECT_ENTRY_POINTS},
    install_requires=[
        "torch>=2.1",
        "torchvision>=0.16",
        "fvcore>=0.1.5.post20221221",
        "iopath>=0.1.9",
        "yacs>=0.1.8",
        "numpy",
        "pillow",
        "opencv-python-headless",
        "scipy",  # linear_sum_assignment: the Hungarian matcher of mask-classification models (Mask2Former)
        "tabulate",
        "termcolor",
        "tqdm",
    ],
    extras_require={
        "dev": ["pytest>=7", "tensorboard", "matplotlib", "onnx", "onnxscript", "onnxruntime"],
        "tensorboard": ["tensorboard"],
        "export": ["onnx", "onnxscript", "onnxruntime"],
        "plots": ["matplotlib"],
        "timm": ["timm>=0.9"],
        # Experiment trackers (TRACKERS.NAMES); not in [dev], whose tests of them skip without them.
        "wandb": ["wandb"],
        "mlflow": ["mlflow-skinny"],
    },
)
