import itertools

from seg_engine.data.samplers import InferenceSampler, TrainingSampler, sample_rng


def take(sampler, n):
    return list(itertools.islice(iter(sampler), n))


def test_training_stream_is_seeded_permutations_per_epoch():
    s = TrainingSampler(5, seed=3)
    first = take(s, 15)
    assert [p for p, _ in first] == list(range(15))
    for epoch in range(3):
        assert sorted(i for _, i in first[5 * epoch : 5 * epoch + 5]) == list(range(5))
    assert take(TrainingSampler(5, seed=3), 15) == first
    assert take(TrainingSampler(5, seed=4), 15) != first


def test_start_resumes_the_stream_exactly():
    full = take(TrainingSampler(7, seed=0), 30)
    s = TrainingSampler(7, seed=0)
    s.start = 12
    assert take(s, 18) == full[12:]


def test_ranks_split_the_global_stream():
    full = take(TrainingSampler(6, seed=1), 12)
    shards = []
    for rank in range(2):
        s = TrainingSampler(6, seed=1)
        s.rank, s.world_size = rank, 2
        shards.append(take(s, 6))
    assert sorted(shards[0] + shards[1]) == sorted(full)
    assert shards[0] == full[0::2]


def test_inference_sampler_visits_each_index_once(monkeypatch):
    from seg_engine.utils import comm

    seen = []
    for rank in range(3):
        monkeypatch.setattr(comm, "get_rank", lambda r=rank: r)
        monkeypatch.setattr(comm, "get_world_size", lambda: 3)
        seen.extend(InferenceSampler(10))
    assert seen == list(range(10))


def test_sample_rng_depends_only_on_seed_and_position():
    assert sample_rng(0, 5).random() == sample_rng(0, 5).random()
    assert sample_rng(0, 5).random() != sample_rng(0, 6).random()
    assert sample_rng(1, 5).random() != sample_rng(0, 5).random()
