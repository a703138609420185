import pytest

from seg_engine.analysis import benchmark_inference, benchmark_training
from seg_engine.analysis.benchmark import environment
from seg_engine.config import get_cfg
from seg_engine.modeling import build_model


def test_inference_and_training_timings():
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18",
                         "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "8", "SOLVER.IMS_PER_BATCH", "2",
                         "INPUT.TRAIN.CROP_SIZE", "(33, 49)"])
    model = build_model(cfg)
    inference = benchmark_inference(model, (33, 49), batch=2, iterations=3, warmup=1)
    assert inference["iterations"] == 3 and inference["images_per_s"] > 0
    assert 0 < inference["p50_ms"] <= inference["p90_ms"] and inference["peak_rss_mb"] > 0
    before = [p.detach().clone() for p in model.parameters()]
    training = benchmark_training(cfg, model, iterations=2, warmup=1)
    assert training["iterations"] == 2 and training["images_per_s"] > 0
    assert any(not (a == b).all() for a, b in zip(before, model.parameters()))  # the steps really trained
    assert {"python", "torch", "threads"} <= set(environment())
