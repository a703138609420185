"""The random weights of a parity check: BatchNorm statistics randomized, every convolution and linear layer rescaled
to unit output variance in the order the forward runs them, so a deep net's logits neither explode nor vanish."""
import torch
from torch import nn

from seg_engine.parity.randomize import unit_variance_layers


def deep_net(depth=24):
    torch.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Conv2d(8, 8, 3, padding=1), nn.ReLU()]
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), *layers, nn.Conv2d(8, 5, 1)).eval()


def test_every_layer_is_rescaled_to_unit_output_variance_in_forward_order():
    net = deep_net()
    x = torch.randn(2, 3, 33, 49)
    with torch.no_grad():
        for conv in net:  # a badly scaled init: activations grow about 2x per layer
            if isinstance(conv, nn.Conv2d):
                conv.weight.mul_(5)
        before = net(x)
    assert before.abs().max() > 1e6  # saturated: a swapped channel would hide in the rounding
    order = unit_variance_layers(net, lambda: net(x))
    assert order == [name for name, m in net.named_modules() if isinstance(m, nn.Conv2d)]
    outputs = []
    hooks = [m.register_forward_hook(lambda m, i, o: outputs.append(float(o.std())))
             for m in net if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        after = net(x)
    for h in hooks:
        h.remove()
    assert len(outputs) == len(order) and all(abs(s - 1) < 1e-4 for s in outputs)
    assert 1 < after.abs().max() < 20


def test_a_layer_that_runs_twice_is_rescaled_once():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 3, 3, padding=1)
    x = torch.randn(1, 3, 17, 17)
    assert unit_variance_layers(conv, lambda: conv(conv(x))) == [""]
    with torch.no_grad():
        assert abs(float(conv(x).std()) - 1) < 1e-4


def test_layer_norms_zero_biases_and_attention_projections_are_randomized_and_rescaled():
    from seg_engine.parity.randomize import randomize_norms_and_biases

    torch.manual_seed(0)
    norm, linear = nn.LayerNorm(8), nn.Linear(8, 8)
    attention = nn.MultiheadAttention(8, 2, batch_first=True)
    nn.init.zeros_(linear.bias)
    randomize_norms_and_biases(nn.ModuleList([norm, linear, attention]))
    assert not torch.equal(norm.weight, torch.ones(8)) and norm.bias.abs().min() > 0
    assert linear.bias.abs().min() > 0 and attention.in_proj_bias.abs().min() > 0 and attention.out_proj.bias.any()
    with torch.no_grad():
        attention.in_proj_weight.mul_(7)
    x = torch.randn(2, 5, 8)
    order = unit_variance_layers(attention, lambda: attention(x, x, x))
    assert order == [""]
    with torch.no_grad():
        q = nn.functional.linear(x, attention.in_proj_weight[:8], attention.in_proj_bias[:8])
        assert abs(float(q.std()) - 1) < 1e-4 and abs(float(attention(x, x, x)[0].std()) - 1) < 1e-4
