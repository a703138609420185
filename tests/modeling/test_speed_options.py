"""MODEL.CHANNELS_LAST and MODEL.COMPILE change how the network runs, not what it computes."""
import logging

import pytest
import torch

from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.modeling.speed import CompileWithFallback


def tiny_cfg(*opts):
    cfg = get_cfg()
    cfg.merge_from_list([
        "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
        "MODEL.RESNETS.OUT_FEATURES", "['res4', 'res5']", "MODEL.HEAD.CHANNELS", "16",
        "MODEL.AUX_HEAD.ENABLED", "True", "MODEL.AUX_HEAD.CHANNELS", "8", *opts,
    ])
    return cfg


def seeded_model(*opts):
    torch.manual_seed(0)
    model = build_model(tiny_cfg(*opts))
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return model


def batch():
    g = torch.Generator().manual_seed(2)
    return [{"image": torch.randint(0, 256, (3, 33, 49), generator=g, dtype=torch.uint8),
             "sem_seg": torch.randint(0, 5, (33, 49), generator=g)} for _ in range(2)]


def losses_and_grads(model):
    model.train()
    torch.manual_seed(3)  # the same dropout masks
    losses = model(batch())
    sum(losses.values()).backward()
    return losses, {n: p.grad.clone() for n, p in model.named_parameters()}


def test_channels_last_gives_the_same_losses_gradients_and_logits():
    plain, cl = seeded_model(), seeded_model("MODEL.CHANNELS_LAST", "True")
    conv = cl.backbone.stem.conv1.weight if hasattr(cl.backbone, "stem") else next(
        p for p in cl.parameters() if p.dim() == 4)
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert cl.preprocess_images(batch())[0].is_contiguous(memory_format=torch.channels_last)
    (l1, g1), (l2, g2) = losses_and_grads(plain), losses_and_grads(cl)
    for k in l1:
        assert torch.allclose(l1[k], l2[k], rtol=1e-5, atol=1e-6), k
    for k in g1:
        assert torch.allclose(g1[k], g2[k], rtol=1e-4, atol=1e-5 * g1[k].abs().max().item() + 1e-7), k
    plain.eval(), cl.eval()
    with torch.no_grad():
        a, b = plain(batch())[0]["sem_seg"], cl(batch())[0]["sem_seg"]
    assert (a - b).abs().max() <= 1e-5 * a.abs().max() and torch.equal(a.argmax(0), b.argmax(0))


def failing_backend(gm, example_inputs):
    raise RuntimeError("no compiler here\nsecond line")


def test_compile_failure_falls_back_to_eager_with_one_warning(caplog):
    eager = seeded_model()
    model = seeded_model()
    model.segment = CompileWithFallback(model.segment, "EncoderDecoder.segment", backend=failing_backend)
    eager.eval(), model.eval()
    with caplog.at_level(logging.WARNING, logger="seg_engine.modeling.speed"), torch.no_grad():
        out = [model(batch())[0]["sem_seg"] for _ in range(2)]
        expected = eager(batch())[0]["sem_seg"]
    warnings = [r.getMessage() for r in caplog.records if "MODEL.COMPILE" in r.getMessage()]
    assert len(warnings) == 1 and "no compiler here" in warnings[0] and "second line" not in warnings[0]
    assert model.segment.state == "eager"
    assert all(torch.equal(o, expected) for o in out)


def test_compile_keeps_parameters_and_state_dict_keys():
    cfg_model = seeded_model("MODEL.COMPILE", "True")
    assert isinstance(cfg_model.segment, CompileWithFallback)
    assert list(cfg_model.state_dict()) == list(seeded_model().state_dict())


@pytest.mark.slow
def test_compiled_network_gives_the_same_losses():
    """Dynamo's tracing with the "eager" backend (the inductor backend takes minutes on this CPU)."""
    plain, compiled = seeded_model(), seeded_model()
    compiled.segment = CompileWithFallback(compiled.segment, "segment", backend="eager")
    (l1, g1), (l2, g2) = losses_and_grads(plain), losses_and_grads(compiled)
    assert compiled.segment.state == "compiled"
    for k in l1:
        assert torch.allclose(l1[k], l2[k], rtol=1e-5, atol=1e-6), k
    for k in g1:
        assert torch.allclose(g1[k], g2[k], rtol=1e-4, atol=1e-6), k
