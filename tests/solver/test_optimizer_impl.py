"""SOLVER.OPTIMIZER_IMPL picks the kernels of the update, not the update."""
import pytest
import torch
from torch import nn

from seg_engine.config import get_cfg
from seg_engine.solver import build_optimizer


def trained_params(optimizer_name, impl, steps=3):
    cfg = get_cfg()
    cfg.merge_from_list(["SOLVER.OPTIMIZER", optimizer_name, "SOLVER.OPTIMIZER_IMPL", impl, "SOLVER.BASE_LR", "0.1",
                         "SOLVER.WEIGHT_DECAY", "0.01"])
    torch.manual_seed(0)
    # No bias before the BatchNorm: its gradient is rounding noise, which Adam scales up to O(lr) steps.
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1))
    optimizer = build_optimizer(cfg, model)
    x = torch.randn(2, 3, 9, 9, generator=torch.Generator().manual_seed(1))
    for _ in range(steps):
        optimizer.zero_grad()
        model(x).square().mean().backward()
        optimizer.step()
    return optimizer, [p.detach().clone() for p in model.parameters()]


def fused_supported_on_cpu():
    try:
        torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1, fused=True)
    except (RuntimeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("name", ["SGD", "AdamW"])
@pytest.mark.parametrize("impl", ["foreach", "fused", "default"])
def test_impls_give_the_for_loop_parameters(name, impl):
    if impl == "fused" and not fused_supported_on_cpu():
        pytest.skip("this PyTorch build has no fused CPU optimizers")
    optimizer, params = trained_params(name, impl)
    _, reference = trained_params(name, "for_loop")
    for p, r in zip(params, reference):
        assert torch.allclose(p, r, rtol=1e-5, atol=1e-6)
    if impl != "default":
        assert optimizer.defaults[impl] is True


def test_unknown_impl_names_the_key():
    with pytest.raises(ValueError, match="SOLVER.OPTIMIZER_IMPL .*'fast'"):
        trained_params("SGD", "fast")
