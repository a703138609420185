"""sem_seg_cross_entropy's class weights and averages against sums written out by hand."""
import math

import pytest
import torch

from seg_engine.config import get_cfg
from seg_engine.modeling import build_model
from seg_engine.modeling.losses import sem_seg_cross_entropy

IGNORE = 255


def per_pixel_terms(logits, target, weights):
    """(weighted -log p of each valid pixel, its weight) with a plain loop."""
    terms, ws = [], []
    for n in range(target.shape[0]):
        for i in range(target.shape[1]):
            for j in range(target.shape[2]):
                c = int(target[n, i, j])
                if c == IGNORE:
                    continue
                logp = torch.log_softmax(logits[n, :, i, j], 0)[c].item()
                w = 1.0 if weights is None else float(weights[c])
                terms.append(-w * logp)
                ws.append(w)
    return terms, ws


@pytest.mark.parametrize("weights", [None, torch.tensor([0.5, 2.0, 4.0])])
@pytest.mark.parametrize("average", ["valid", "all", "sum", "valid_pixels"])
def test_averages_and_class_weights_match_hand_sums(weights, average):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 3, 4, generator=g)
    target = torch.randint(0, 3, (2, 3, 4), generator=g)
    target[0, 0, :] = IGNORE
    terms, ws = per_pixel_terms(logits, target, weights)
    expected = {"valid": sum(terms) / sum(ws), "all": sum(terms) / target.numel(), "sum": sum(terms),
                "valid_pixels": sum(terms) / len(terms)}[average]
    loss = sem_seg_cross_entropy(logits, target, IGNORE, False, weights, average)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_all_ignored_gives_zero_with_a_gradient():
    logits = torch.randn(1, 3, 2, 2, requires_grad=True)
    target = torch.full((1, 2, 2), IGNORE)
    for average in ("valid", "all", "sum", "valid_pixels"):
        loss = sem_seg_cross_entropy(logits, target, IGNORE, False, None, average)
        assert loss.item() == 0 and not math.isnan(loss.item())
        loss.backward()


def tiny_cfg(*opts):
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "3", "MODEL.RESNETS.DEPTH", "18",
                         "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.HEAD.CHANNELS", "8", *opts])
    return cfg


def test_model_reads_the_loss_keys_and_names_a_wrong_count():
    model = build_model(tiny_cfg("MODEL.LOSS.CLASS_WEIGHTS", "[1.0, 2.0, 3.0]", "MODEL.LOSS.AVERAGE", "all"))
    cross_entropy = model.pixel_losses.losses["cross_entropy"]
    assert cross_entropy.class_weights.tolist() == [1.0, 2.0, 3.0] and cross_entropy.average == "all"
    assert not any("class_weights" in key for key in model.state_dict())
    with pytest.raises(ValueError, match=r"MODEL.LOSS.CLASS_WEIGHTS has 2 weights but MODEL.NUM_CLASSES is 3"):
        build_model(tiny_cfg("MODEL.LOSS.CLASS_WEIGHTS", "[1.0, 2.0]"))
    with pytest.raises(ValueError, match="MODEL.LOSS.AVERAGE must be one of"):
        build_model(tiny_cfg("MODEL.LOSS.AVERAGE", "mean"))
