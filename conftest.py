"""Fixtures for every test under tests/ and projects/."""
import logging

import pytest


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
