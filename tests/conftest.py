import pytest


@pytest.fixture(autouse=True, scope="session")
def _shapes_cache(tmp_path_factory):
    """Generate the built-in dataset once per test session in a temporary cache, not in ~/.cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SEG_ENGINE_CACHE", str(tmp_path_factory.mktemp("seg_engine_cache")))
    yield
    mp.undo()
