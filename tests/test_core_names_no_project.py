"""No file under seg_engine/ names a project's part or config node: the names the installed projects register
(meta-architectures, backbones, necks, heads, weight layouts, mmsegmentation head types they translate) and the
config nodes their plugins add appear in no core source file, so a new model is one folder and edits no core file."""
import glob
import os
import re

from seg_engine.checkpoint import LAYOUTS
from seg_engine.checkpoint.layout import project_of
from seg_engine.config import get_cfg
from seg_engine.config.config import _PLUGIN_KEYS
from seg_engine.interop import MMSEG_MODELS
from seg_engine.modeling import BACKBONE_REGISTRY, HEAD_REGISTRY, META_ARCH_REGISTRY, NECK_REGISTRY
from seg_engine.plugins import NAMESPACE, package_of
from seg_engine.utils.testing import ROOT


def project_names():
    get_cfg()  # imports the installed projects and runs their config extensions
    names = set()
    for registry in (META_ARCH_REGISTRY, BACKBONE_REGISTRY, NECK_REGISTRY, HEAD_REGISTRY):
        names |= {name for name, obj in registry if package_of(obj.__module__).startswith(f"{NAMESPACE}.")}
    names |= {name for name, layout in LAYOUTS.items() if project_of(layout)}
    names |= {name for name, _ in MMSEG_MODELS}
    nodes = {".".join(key.split(".")[:2]) for package, keys in _PLUGIN_KEYS.items() if package.startswith(f"{NAMESPACE}.")
             for key in keys}
    return names, nodes


def test_the_core_names_no_project():
    names, nodes = project_names()
    assert {"PPMHead", "UNetDecoder", "mmseg_pspnet"} <= names and "MODEL.PSP" in nodes  # the check can see them
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names | nodes, key=len, reverse=True)) + r")\b"
                         + f"|{NAMESPACE}\\.[a-z_]")
    found = []
    for path in glob.glob(os.path.join(ROOT, "seg_engine", "**", "*.py"), recursive=True):
        with open(path) as f:
            for number, line in enumerate(f, 1):
                match = pattern.search(line)
                if match:
                    found.append(f"{os.path.relpath(path, ROOT)}:{number}: {match.group(0)}")
    assert found == []
