"""Install seg_engine: ``pip install -e ".[dev]"``."""
from setuptools import find_packages, setup

setup(
    name="seg_engine",
    version="0.1.0",
    description="A detectron2-style semantic segmentation toolbox on PyTorch",
    python_requires=">=3.9",
    packages=find_packages(include=["seg_engine", "seg_engine.*"]),
    install_requires=[
        "torch>=2.1",
        "torchvision>=0.16",
        "fvcore>=0.1.5.post20221221",
        "iopath>=0.1.9",
        "yacs>=0.1.8",
        "numpy",
        "pillow",
        "opencv-python-headless",
        "tabulate",
        "termcolor",
        "tqdm",
    ],
    extras_require={
        "dev": ["pytest>=7", "tensorboard"],
        "tensorboard": ["tensorboard"],
    },
)
