import io
import random

import numpy as np
import torch

from seg_engine.utils import comm
from seg_engine.utils.env import get_rng_state, seed_all_rng, set_rng_state


def test_rng_state_roundtrips_through_a_weights_only_checkpoint():
    seed_all_rng(123)
    state = get_rng_state()
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    set_rng_state(torch.load(buf, weights_only=True))
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_seed_all_rng_draws_a_seed_when_negative():
    assert seed_all_rng(7) == 7
    assert 0 <= seed_all_rng(-1) < 2**31


def test_single_process_comm_is_identity():
    t = torch.tensor([1.0, 2.0])
    assert comm.get_world_size() == 1 and comm.get_rank() == 0 and comm.is_main_process()
    assert comm.all_reduce_sum(t) is t and t.tolist() == [1.0, 2.0]
    assert comm.all_gather({"a": 1}) == [{"a": 1}]
    comm.synchronize()
