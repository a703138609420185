"""Fixtures for every test under tests/ and projects/."""
import glob
import importlib.abc
import importlib.util
import logging
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))


class _CheckoutProjects(importlib.abc.MetaPathFinder):
    """Imports ``seg_engine_projects.<package>`` from this checkout's ``projects/<Name>/<package>`` when no other
    finder does: an editable install maps the project packages that existed when it was made, so without this the
    tests of a project added since would not even be collected. It sits last on sys.meta_path, so an install
    that knows the package always wins. Such a project's entry point is missing until ``pip install -e .``; the
    session's header names it."""

    def __init__(self) -> None:
        self.folders = {os.path.basename(os.path.dirname(init)): os.path.dirname(init)
                        for init in glob.glob(os.path.join(ROOT, "projects", "*", "*", "__init__.py"))
                        if os.path.basename(os.path.dirname(init)) != "tests"}

    def find_spec(self, fullname, path=None, target=None):
        namespace, _, package = fullname.partition(".")
        if namespace != "seg_engine_projects" or package not in self.folders:
            return None
        folder = self.folders[package]
        return importlib.util.spec_from_file_location(fullname, os.path.join(folder, "__init__.py"),
                                                      submodule_search_locations=[folder])


_CHECKOUT_PROJECTS = _CheckoutProjects()
sys.meta_path.append(_CHECKOUT_PROJECTS)


def pytest_report_header(config):
    from importlib.metadata import entry_points

    from seg_engine.plugins import ENTRY_POINT_GROUP

    registered = {ep.value.rpartition(".")[2] for ep in entry_points(group=ENTRY_POINT_GROUP)}
    missing = sorted(set(_CHECKOUT_PROJECTS.folders) - registered)
    if missing:
        return f"projects not registered by the installed seg_engine (run pip install -e .): {', '.join(missing)}"
    return None


@pytest.fixture(autouse=True, scope="session")
def _shapes_cache(tmp_path_factory):
    """Generate the built-in dataset once per test session in a temporary cache, not in ~/.cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SEG_ENGINE_CACHE", str(tmp_path_factory.mktemp("seg_engine_cache")))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _reset_seg_engine_logger():
    """A run through train_net configures the "seg_engine" logger (own handlers, no propagation);
    undo that after each test so later tests' log capture sees the records."""
    yield
    logger = logging.getLogger("seg_engine")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = True


@pytest.fixture(scope="session")
def tiny_demo_run(tmp_path_factory, _shapes_cache):
    """A 3-iteration run of the demo config (narrow FCN on `shapes`, CPU): its OUTPUT_DIR, config.yaml,
    model_final.pth and final evaluation, shared by the tests of the after-training tools."""
    import os

    from seg_engine.utils.testing import load_train_net

    root = os.path.dirname(os.path.abspath(__file__))
    train_net = load_train_net()
    out = str(tmp_path_factory.mktemp("tiny_demo_run"))
    args = train_net.default_argument_parser().parse_args([
        "--config-file", os.path.join(root, "configs", "Demo", "fcn_shapes.yaml"),
        "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "3", "SOLVER.CHECKPOINT_PERIOD", "100",
        "SOLVER.WARMUP_ITERS", "0", "INPUT.TRAIN.CROP_SIZE", "(65, 65)", "DATALOADER.NUM_WORKERS", "0",
        "TEST.EVAL_PERIOD", "0", "LOG_PERIOD", "1", "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "16",
        "MODEL.AUX_HEAD.CHANNELS", "8", "TEST.IMS_PER_BATCH", "1", "MODEL.DEVICE", "cpu", "OUTPUT_DIR", out,
    ])
    results = train_net.main(args)
    logger = logging.getLogger("seg_engine")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = True
    return {"dir": out, "config": os.path.join(out, "config.yaml"), "weights": os.path.join(out, "model_final.pth"),
            "results": results}
