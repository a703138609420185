"""DATALOADER.PIN_MEMORY and PREFETCH_FACTOR reach the train loader; a bad value names the key."""
import pytest
import torch

from seg_engine.config import get_cfg
from seg_engine.data.build import _speed_options


def cfg_with(*opts):
    cfg = get_cfg()
    cfg.merge_from_list(list(opts))
    return cfg


def test_prefetch_factor_only_with_workers_and_pinning_only_with_cuda():
    options = _speed_options(cfg_with("DATALOADER.NUM_WORKERS", "2", "DATALOADER.PREFETCH_FACTOR", "4",
                                      "DATALOADER.PIN_MEMORY", "True"))
    assert options == {"prefetch_factor": 4, "pin_memory": torch.cuda.is_available()}
    assert _speed_options(cfg_with("DATALOADER.NUM_WORKERS", "0")) == {"pin_memory": False}


def test_bad_prefetch_factor_names_the_key():
    with pytest.raises(ValueError, match="DATALOADER.PREFETCH_FACTOR .* got 0"):
        _speed_options(cfg_with("DATALOADER.PREFETCH_FACTOR", "0"))
