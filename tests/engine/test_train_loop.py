import itertools
import math

import pytest
import torch
from torch import nn

from seg_engine.engine import AMPTrainer, HookBase, SimpleTrainer
from seg_engine.utils.events import EventStorage


class Quadratic(nn.Module):
    """loss = (w - target)^2 per batch element; a batch is a list of floats."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, batch):
        target = torch.tensor(batch, dtype=torch.float32)
        return {"loss_a": ((self.w - target) ** 2).mean(), "loss_b": self.w.abs() * 0.0}


def make_trainer(cls=SimpleTrainer, data=None, **kwargs):
    model = Quadratic()
    data = data or itertools.repeat([1.0, 3.0])
    return cls(model, data, torch.optim.SGD(model.parameters(), lr=0.1), **kwargs), model


def test_steps_optimise_and_log_losses():
    trainer, model = make_trainer()
    trainer.train(0, 30)
    assert model.w.item() == pytest.approx(2.0 * (1 - 0.8**30))
    hist = trainer.storage.history("total_loss").values()
    assert len(hist) == 30 and hist[-1][0] == pytest.approx(1.0, abs=1e-2)
    assert "loss_a" in trainer.storage.histories() and "data_time" in trainer.storage.histories()


def test_hooks_called_in_order():
    calls = []

    class Recorder(HookBase):
        def before_train(self):
            calls.append("before_train")

        def before_step(self):
            calls.append(f"before_{self.trainer.iter}")

        def after_step(self):
            calls.append(f"after_{self.trainer.iter}")

        def after_train(self):
            calls.append(f"after_train_{self.trainer.iter}")

    trainer, _ = make_trainer()
    trainer.register_hooks([Recorder(), None])
    trainer.train(3, 5)
    assert calls == ["before_train", "before_3", "after_3", "before_4", "after_4", "after_train_5"]


def test_non_finite_loss_names_iteration_and_term_and_skips_the_update():
    data = iter([[1.0], [1.0], [float("nan")], [1.0]])
    trainer, model = make_trainer(data=data)
    with pytest.raises(FloatingPointError, match=r"iteration 2: loss_a=nan"):
        trainer.train(0, 4)
    assert math.isfinite(model.w.item())
    assert trainer.iter == 2


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_amp_trainer_on_cpu(dtype):
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))

    class Wrapped(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = model

        def forward(self, batch):
            x = torch.stack(batch)
            return {"loss": (self.net(x) ** 2).mean()}

    data = itertools.repeat([torch.ones(4), torch.full((4,), 2.0)])
    wrapped = Wrapped()
    trainer = AMPTrainer(wrapped, data, torch.optim.SGD(wrapped.parameters(), lr=0.01), dtype=dtype)
    trainer.train(0, 5)
    state = trainer.state_dict()
    assert "grad_scaler" in state and "optimizer" in state
    assert trainer.storage.history("total_loss").latest() < trainer.storage.history("total_loss").values()[0][0]


@pytest.mark.parametrize("loss_scale", [0.0, 512.0])
def test_float16_loss_scale_is_dynamic_or_fixed(loss_scale):
    """0: torch's dynamic scale (from 65536, halved on an overflow); a number stays there every step
    (mmsegmentation's AmpOptimWrapper with loss_scale=512.0), even after an overflowing step."""
    model = nn.Linear(4, 1)

    class Wrapped(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = model

        def forward(self, batch):
            return {"loss": self.net(torch.stack(batch)).square().mean() * batch[0][0]}

    data = iter([[torch.ones(4)]] * 2 + [[torch.full((4,), 1e30)]] + [[torch.ones(4)]] * 2)
    wrapped = Wrapped()
    trainer = AMPTrainer(wrapped, data, torch.optim.SGD(wrapped.parameters(), lr=0.01), dtype="float16",
                         loss_scale=loss_scale)
    trainer.train(0, 2)
    scale = trainer.grad_scaler.get_scale()
    assert scale == 512.0 if loss_scale else scale <= 2.0**16
    before = [p.detach().clone() for p in model.parameters()]
    trainer.grad_scaler.scale(wrapped(next(data))["loss"]).backward()  # inf gradients: the step is skipped
    trainer.optimizer_step()
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert trainer.grad_scaler.get_scale() == (512.0 if loss_scale else scale / 2)
    with pytest.raises(ValueError, match="SOLVER.AMP.LOSS_SCALE must be 0"):
        AMPTrainer(wrapped, data, torch.optim.SGD(wrapped.parameters(), lr=0.01), loss_scale=-1.0)


def test_amp_rejects_unknown_dtype():
    with pytest.raises(ValueError, match="SOLVER.AMP.DTYPE"):
        make_trainer(AMPTrainer, dtype="float8")


def test_event_storage_requires_context():
    from seg_engine.utils.events import get_event_storage

    with pytest.raises(RuntimeError, match="EventStorage"):
        get_event_storage()
    with EventStorage(7) as s:
        assert get_event_storage() is s and s.iter == 7
