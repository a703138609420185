"""The Hungarian matcher against brute force, and the set loss on predictions that are right or wrong."""
import itertools
import os

import pytest
import torch

from seg_engine.plugins import load_plugin

load_plugin(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from seg_engine_projects.mask2former import HungarianMatcher, SetCriterion  # noqa: E402
from seg_engine_projects.mask2former.matcher import pairwise_dice, pairwise_sigmoid_ce  # noqa: E402
from seg_engine_projects.mask2former.point_sampling import point_sample, uncertain_point_coords  # noqa: E402


def fixed_points(points):
    def rand(*size, device=None):
        assert size[1:] == (points.shape[1], 2)
        return points.expand(size[0], -1, -1).clone()
    return rand


def targets_of(semantic, ignore=255):
    out = []
    for s in semantic:
        labels = torch.unique(s)
        labels = labels[labels != ignore]
        out.append({"labels": labels, "masks": (s[None] == labels[:, None, None]).to(torch.uint8)})
    return out


def test_matching_is_the_least_cost_assignment_found_by_brute_force():
    g = torch.Generator().manual_seed(0)
    q, c, h, w = 5, 4, 8, 12
    logits, masks = torch.randn(1, q, c + 1, generator=g) * 2, torch.randn(1, q, h // 2, w // 2, generator=g) * 3
    semantic = torch.randint(0, 3, (1, h, w), generator=g)
    target = targets_of(semantic)[0]
    points = torch.rand(1, 32, 2, generator=g)
    matcher = HungarianMatcher(2.0, 5.0, 5.0, num_points=32, rand=fixed_points(points))
    rows, cols = matcher(logits, masks, [target])[0]
    pred = point_sample(masks[0][:, None], points.expand(q, -1, -1))[:, 0]
    tgt = point_sample(target["masks"][:, None].float(), points.expand(len(target["labels"]), -1, -1))[:, 0]
    cost = (5.0 * pairwise_sigmoid_ce(pred, tgt) - 2.0 * logits[0].softmax(-1)[:, target["labels"]]
            + 5.0 * pairwise_dice(pred, tgt))
    best = min(itertools.permutations(range(q), len(target["labels"])),
               key=lambda perm: sum(cost[p, t].item() for t, p in enumerate(perm)))
    assert dict(zip(cols.tolist(), rows.tolist())) == dict(enumerate(best))


def test_uncertain_points_are_the_most_uncertain_of_the_oversampled_then_uniform():
    logits = torch.linspace(-1, 1, 16).view(1, 1, 4, 4)
    draws = [torch.rand(1, 12, 2), torch.rand(1, 1, 2)]
    coords = uncertain_point_coords(logits, 4, 3.0, 0.75, rand=lambda *s, device=None: draws.pop(0))
    assert coords.shape == (1, 4, 2)
    # the three kept points are those of the smallest |logit| among the 12
    first = coords[0, :3]
    values = point_sample(logits, coords[:, :3])[0, 0].abs()
    assert values.max() <= point_sample(logits, first[None])[0, 0].abs().max()
    assert not draws


def perfect_outputs(semantic, num_classes, queries=6):
    """Class logits and mask logits that say exactly what ``semantic`` holds (queries beyond: no object)."""
    n, h, w = semantic.shape
    logits = torch.full((n, queries, num_classes + 1), -20.0)
    logits[..., -1] = 20.0
    masks = torch.full((n, queries, h, w), -20.0)
    for b, t in enumerate(targets_of(semantic)):
        for i, (label, mask) in enumerate(zip(t["labels"], t["masks"])):
            logits[b, i] = -20.0
            logits[b, i, label] = 20.0
            masks[b, i] = torch.where(mask.bool(), 20.0, -20.0)
    return {"pred_logits": logits, "pred_masks": masks}


def test_the_loss_of_a_perfect_prediction_is_near_zero_and_of_a_shuffled_one_large():
    semantic = torch.zeros(2, 32, 32, dtype=torch.long)  # blocks: points near their borders interpolate
    semantic[0, :, 16:] = 1
    semantic[0, :8] = 255
    semantic[1, 8:24, 8:24] = 3
    criterion = SetCriterion(num_classes=4, num_points=256)
    perfect = perfect_outputs(semantic, 4)
    losses = criterion(perfect, targets_of(semantic))
    assert set(losses) == {"loss_ce", "loss_mask", "loss_dice"}
    assert losses["loss_ce"] < 1e-6  # the mask losses stay above 0: importance sampling picks border points
    wrong = criterion(perfect_outputs(semantic.flip(-1).roll(1, 0), 4), targets_of(semantic))
    assert wrong["loss_ce"] > 1.0
    assert losses["loss_mask"] < 0.2 * wrong["loss_mask"] and losses["loss_dice"] < 0.2 * wrong["loss_dice"]


def test_losses_are_weighted_and_every_prediction_is_supervised():
    g = torch.Generator().manual_seed(2)
    semantic = torch.zeros(1, 8, 8, dtype=torch.long)  # one target, matched to the one query
    outputs = {"pred_logits": torch.randn(1, 1, 3, generator=g), "pred_masks": torch.randn(1, 1, 4, 4, generator=g)}
    outputs["aux_outputs"] = [dict(outputs), dict(outputs)]
    points = torch.rand(1, 64, 2, generator=g)
    rand = lambda *size, device=None: points[:, : size[1]].expand(size[0], -1, -1).clone()  # noqa: E731
    one = SetCriterion(num_classes=2, class_weight=1.0, mask_weight=1.0, dice_weight=1.0, num_points=16, rand=rand)
    paper = SetCriterion(num_classes=2, num_points=16, rand=rand)  # 2 / 5 / 5
    a, b = one(outputs, targets_of(semantic)), paper(outputs, targets_of(semantic))
    assert set(a) == {f"loss_{k}{s}" for k in ("ce", "mask", "dice") for s in ("", "_0", "_1")}
    for key, weight in (("loss_ce", 2.0), ("loss_mask", 5.0), ("loss_dice", 5.0)):
        torch.testing.assert_close(b[key], weight * a[key])
        torch.testing.assert_close(b[key + "_1"], b[key])  # the same prediction, the same loss
    torch.testing.assert_close(one.empty_weight, torch.tensor([1.0, 1.0, 0.1]))


def test_an_image_without_targets_gives_finite_losses():
    semantic = torch.full((1, 8, 8), 255)
    outputs = {"pred_logits": torch.randn(1, 3, 3), "pred_masks": torch.randn(1, 3, 4, 4, requires_grad=True)}
    losses = SetCriterion(num_classes=2, num_points=16)(outputs, targets_of(semantic))
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses["loss_mask"] == 0 and losses["loss_dice"] == 0 and losses["loss_ce"] > 0


def test_all_zero_costs_are_refused():
    with pytest.raises(ValueError, match="cannot all be 0"):
        HungarianMatcher(0, 0, 0)
