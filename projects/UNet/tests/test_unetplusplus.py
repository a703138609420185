"""UNet++'s deep supervision: four heads trained together, averaged ("accurate") or pruned ("fast")."""
import os
import sys

import pytest
import torch

from seg_engine.modeling.losses import upsample_logits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_test_helpers import build  # noqa: E402

TINY = ["MODEL.NUM_CLASSES", 3, "MODEL.RESNETS.DEPTH", 18, "MODEL.RESNETS.BASE_WIDTH", 4,
        "MODEL.UNET.DECODER_CHANNELS", "[16, 8, 8, 4, 4]"]


def model(mode, *opts):
    torch.manual_seed(0)
    return build("Base-UNetPlusPlus-smp.yaml", *TINY, "MODEL.UNETPP.DEEP_SUPERVISION", mode, *opts)


def test_training_has_one_loss_per_head_weighted_to_a_mean():
    m = model("accurate")
    x = [{"image": torch.randint(0, 256, (3, 33, 49), dtype=torch.uint8), "sem_seg": torch.randint(0, 3, (33, 49))}]
    losses = m(x)
    assert sorted(losses) == ["loss_ds1", "loss_ds2", "loss_ds3", "loss_ds4"]
    raw = m.segment(m.preprocess_images(x)[0])
    for j in range(1, 5):
        ce = torch.nn.functional.cross_entropy(raw[f"ds{j}"], x[0]["sem_seg"][None])
        assert torch.allclose(losses[f"loss_ds{j}"], ce / 4, atol=1e-6)
    assert not hasattr(m.decoder, "final") or len(m.decoder.final) == 0  # no unused skip-less block


def test_accurate_averages_the_heads_and_fast_uses_one_from_a_pruned_network():
    acc = model("accurate").eval()
    fast = model("fast", "MODEL.UNETPP.PRUNE_COLUMN", 2).eval()
    fast.load_state_dict(acc.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        nodes = acc.extract_features(x)
        # every head reads a stride-2 column; segment brings the logits to the padded input's size
        heads = [upsample_logits(acc.ds_heads[j](nodes[f"x_0_{j + 1}"]), x.shape[-2:], acc.align_corners)
                 for j in range(4)]
        assert torch.allclose(acc.segment(x)["sem_seg"], torch.stack(heads).mean(0), atol=1e-6)
        calls = []
        fast.decoder.nodes["x_0_3"].register_forward_hook(lambda *a: calls.append(1))
        pruned = fast.segment(x)["sem_seg"]
    assert calls == []  # columns past PRUNE_COLUMN are not computed
    assert torch.allclose(pruned, heads[1], atol=1e-6)
    assert not torch.allclose(heads[1], heads[3], atol=1e-3)


@pytest.mark.parametrize("key, value, message", [
    ("MODEL.UNETPP.DEEP_SUPERVISION", "all", "MODEL.UNETPP.DEEP_SUPERVISION must be one of"),
    ("MODEL.UNETPP.PRUNE_COLUMN", 5, "MODEL.UNETPP.PRUNE_COLUMN must be in 1..4"),
    ("MODEL.UNETPP.WIDTHS", "keras", "MODEL.UNETPP.WIDTHS must be one of"),
    ("MODEL.UNET.UPSAMPLE", "transpose", "NestedDecoder up-samples with MODEL.UNET.UPSAMPLE 'nearest'"),
])
def test_bad_switches_name_the_key(key, value, message):
    with pytest.raises(ValueError, match=message):
        build("Base-UNetPlusPlus-smp.yaml", *TINY, key, value, device="meta")
