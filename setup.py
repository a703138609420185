"""Install seg_engine and every project under projects/: ``pip install -e ".[dev]"``.

A project is ``projects/<Name>/<package>/__init__.py``; its package is installed under its own
name and announced in the entry-point group ``seg_engine.projects``, which
``seg_engine.plugins.load_plugins`` imports. Adding a project edits nothing here.
"""
import glob
import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def project_packages():
    """(packages, package_dir, entry points) of every projects/<Name>/<package>."""
    packages, package_dir, entry_points = [], {}, []
    for init in sorted(glob.glob(os.path.join(HERE, "projects", "*", "*", "__init__.py"))):
        pkg_path = os.path.dirname(init)
        name = os.path.basename(pkg_path)
        if name == "tests":
            continue
        project = os.path.dirname(pkg_path)
        found = find_packages(where=project, include=[name, f"{name}.*"])
        packages += found
        package_dir[name] = os.path.relpath(pkg_path, HERE)
        entry_points.append(f"{name} = {name}")
    return packages, package_dir, entry_points


PROJECT_PACKAGES, PROJECT_DIRS, PROJECT_ENTRY_POINTS = project_packages()

setup(
    name="seg_engine",
    version="0.1.0",
    description="A detectron2-style semantic segmentation toolbox on PyTorch",
    python_requires=">=3.9",
    packages=find_packages(include=["seg_engine", "seg_engine.*"]) + PROJECT_PACKAGES,
    package_dir=PROJECT_DIRS,
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
    },
)
