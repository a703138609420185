"""The loss registry (MODEL.LOSS.NAMES): values pinned against segmentation_models_pytorch 0.6.0 and
mmsegmentation 1.2.2, ignored pixels, class weights, finite gradients, the config errors, and a training step."""
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from seg_engine.config import ConfigError, get_cfg, validate_values
from seg_engine.engine import AMPTrainer, SimpleTrainer
from seg_engine.modeling import build_model
from seg_engine.modeling.losses import (
    LOSS_REGISTRY, CrossEntropy, Dice, Focal, Lovasz, OHEMCrossEntropy, Tversky, loss_term_name, sem_seg_cross_entropy,
    upsample_logits,
)

IGNORE = 255
W = [0.5, 1.0, 2.0, 3.0]


def seeded_batch(ignore: bool = True):
    """2 x 4 x 9 x 11 logits; targets of classes 0..2 (3 absent), class 2 absent from image 0, 20% ignored."""
    g = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(2, 4, 9, 11, generator=g)
    targets = torch.randint(0, 3, (2, 9, 11), generator=g)
    targets[0][targets[0] == 2] = 0
    dropped = torch.rand(2, 9, 11, generator=g) < 0.2
    if ignore:
        targets[dropped] = IGNORE
    return logits, targets


# (our loss, the reference's value on seeded_batch(), the reference call that gave it). Measured with
# segmentation-models-pytorch 0.6.0 and mmsegmentation 1.2.2 on torch 2.14.1, CPU (W = the class weights above);
# our values agreed within 2.4e-7 relative in every case.
PINNED = [
    (Dice(), 0.550399542, 'smp.losses.DiceLoss("multiclass", ignore_index=255)'),
    (Dice(), 0.53702867, 'smp.losses.DiceLoss("multiclass") on seeded_batch(ignore=False)'),
    (Dice(class_weights=W, log_loss=True, smooth=1.0), 0.749789,
     'smp.losses.DiceLoss("multiclass", ignore_index=255, class_weights=W, log_loss=True, smooth=1.0)'),
    (Focal(), 1.18062079, 'smp.losses.FocalLoss("multiclass", ignore_index=255)'),
    (Focal(alpha=0.25, gamma=1.5, class_weights=W), 0.920918465,
     'smp.losses.FocalLoss("multiclass", ignore_index=255, alpha=0.25, gamma=1.5, class_weights=W)'),
    (Lovasz(), 0.822063625, 'smp.losses.LovaszLoss("multiclass", ignore_index=255)'),
    (Lovasz(per_image=True), 0.806000471, 'smp.losses.LovaszLoss("multiclass", per_image=True, ignore_index=255)'),
    (Tversky(alpha=0.3, beta=0.7, gamma=1.5, class_weights=W), 0.265698791,
     'smp.losses.TverskyLoss("multiclass", ignore_index=255, alpha=0.3, beta=0.7, gamma=1.5, class_weights=W)'),
    (Lovasz(class_weights=W), 0.981895447,
     'mmseg.models.losses.LovaszLoss(per_image=False, reduction="none", class_weight=W)'),
    (Lovasz(per_image=True, class_weights=W), 0.783019185,
     'mmseg.models.losses.LovaszLoss(per_image=True, class_weight=W)'),
    (OHEMCrossEntropy(thresh=0.7, min_kept=10, average="all"), 2.56584835,
     "mmseg OHEMPixelSampler(ctx, thresh=0.7, min_kept=10).sample(logits, targets[:, None]) -> seg_weight; "
     "CrossEntropyLoss()(logits, targets, weight=seg_weight, ignore_index=255)  (122 pixels kept: thresh decides)"),
    (OHEMCrossEntropy(thresh=0.05, min_kept=40, average="all"), 2.27162194,
     "the same with thresh=0.05, min_kept=40  (80 kept: min_kept decides)"),
    (OHEMCrossEntropy(thresh=0.7, min_kept=1000, average="all"), 2.58062768,
     "the same with thresh=0.7, min_kept=1000  (fewer valid pixels than that: all but the most confident)"),
    (OHEMCrossEntropy(thresh=None, min_kept=30, average="all"), 1.97378242,
     "the same with thresh=None, min_kept=30  (the 60 pixels of highest loss)"),
    (OHEMCrossEntropy(thresh=0.7, min_kept=20, per_image=False, average="valid_pixels"), 4.16424561,
     "mmseg.models.losses.OhemCrossEntropy(thres=0.7, min_kept=20)"),
    (OHEMCrossEntropy(thresh=0.05, min_kept=80, per_image=False, average="valid_pixels", class_weights=W), 4.5217061,
     "mmseg.models.losses.OhemCrossEntropy(thres=0.05, min_kept=80, class_weight=W)"),
    (OHEMCrossEntropy(thresh=0.9, min_kept=1000, per_image=False, average="valid_pixels", class_weights=W),
     2.84481049, "mmseg.models.losses.OhemCrossEntropy(thres=0.9, min_kept=1000, class_weight=W)"),
]


@pytest.mark.parametrize("loss, expected, reference_call", PINNED, ids=[case[2] for case in PINNED])
def test_values_match_the_references(loss, expected, reference_call):
    logits, targets = seeded_batch(ignore="ignore=False" not in reference_call)
    assert loss(logits, targets).item() == pytest.approx(expected, rel=1e-6)


def test_values_match_smp_when_installed():
    smp = pytest.importorskip("segmentation_models_pytorch", reason="smp is a parity reference, not a dependency")
    logits, targets = seeded_batch()
    pairs = [
        (Dice(smooth=0.5), smp.losses.DiceLoss("multiclass", ignore_index=IGNORE, smooth=0.5)),
        (Focal(alpha=0.5, class_weights=W), smp.losses.FocalLoss("multiclass", ignore_index=IGNORE, alpha=0.5,
                                                                 class_weights=W)),
        (Lovasz(per_image=True), smp.losses.LovaszLoss("multiclass", per_image=True, ignore_index=IGNORE)),
        (Tversky(alpha=0.2, beta=0.8), smp.losses.TverskyLoss("multiclass", ignore_index=IGNORE, alpha=0.2, beta=0.8)),
    ]
    for ours, theirs in pairs:
        assert ours(logits, targets).item() == pytest.approx(theirs(logits, targets).item(), rel=1e-6)


def all_losses(**common):
    return [CrossEntropy(**common), Dice(**common), Focal(**common), Lovasz(**common), Lovasz(per_image=True, **common),
            Tversky(alpha=0.3, beta=0.7, **common), OHEMCrossEntropy(min_kept=20, **common)]


def test_every_registered_loss_is_covered():
    assert {name for name, _ in LOSS_REGISTRY} == {type(loss).__name__ for loss in all_losses()}


@pytest.mark.parametrize("loss", all_losses(class_weights=W), ids=lambda loss: type(loss).__name__)
def test_ignored_pixels_neither_count_nor_get_gradients(loss):
    logits, targets = seeded_batch()
    ignored = (targets == IGNORE).unsqueeze(1)
    changed = torch.where(ignored, 100 * torch.randn_like(logits), logits).requires_grad_()
    value = loss(changed, targets)
    assert value.item() == pytest.approx(loss(logits, targets).item(), rel=1e-6)
    value.backward()
    assert changed.grad[ignored.expand_as(logits)].abs().max() == 0 and changed.grad.abs().sum() > 0


@pytest.mark.parametrize("loss", all_losses(), ids=lambda loss: type(loss).__name__)
def test_an_all_ignored_batch_gives_zero_with_a_gradient(loss):
    logits = torch.randn(2, 4, 5, 6, requires_grad=True)
    value = loss(logits, torch.full((2, 5, 6), IGNORE))
    assert value.item() == 0
    value.backward()
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize("loss", all_losses(class_weights=W) + [Focal(gamma=0.5), Dice(log_loss=True)],
                         ids=lambda loss: type(loss).__name__)
def test_finite_for_saturated_logits_and_under_bf16_autocast(loss):
    logits, targets = seeded_batch()
    saturated = (1e4 * logits).requires_grad_()
    value = loss(saturated, targets)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(saturated.grad).all()
    # Under autocast the losses compute in float32: the value of bf16 logits is that of the same numbers in float32.
    half = logits.bfloat16().requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(half, targets)
    value.backward()
    assert value.dtype == torch.float32 and torch.isfinite(half.grad).all()
    assert value.item() == pytest.approx(loss(logits.bfloat16().float(), targets).item(), rel=1e-6)


@pytest.mark.parametrize("loss", all_losses(align_corners=False), ids=lambda loss: type(loss).__name__)
def test_logits_at_any_resolution_are_resized_to_the_targets(loss):
    logits, targets = seeded_batch()
    small = logits[..., ::2, ::2]
    expected = loss(upsample_logits(small, targets.shape[-2:], False), targets)
    assert loss(small, targets).item() == pytest.approx(expected.item(), rel=1e-6)


def test_dice_and_focal_class_weights_weigh_the_classes_losses():
    logits, targets = seeded_batch()
    valid = targets != IGNORE
    probs = logits.softmax(1)
    c = 1
    one_class = [0.0, 0.0, 0.0, 0.0]
    one_class[c] = 1.0
    p, t = probs[:, c][valid], (targets[valid] == c).float()
    # Dice of class c alone: 1 - 2 sum(p t) / (sum p + sum t) over the valid pixels.
    dice = 1 - 2 * (p * t).sum() / (p.sum() + t.sum())
    assert Dice(class_weights=one_class)(logits, targets).item() == pytest.approx(dice.item(), rel=1e-6)
    # Focal term of class c (gamma 2, no alpha), averaged over the valid pixels.
    x = logits[:, c][valid]
    pt = torch.where(t == 1, torch.sigmoid(x), 1 - torch.sigmoid(x))
    focal = ((1 - pt) ** 2 * -torch.log(pt)).mean()
    assert Focal(class_weights=one_class)(logits, targets).item() == pytest.approx(focal.item(), rel=1e-5)
    # Equal weights are no weights.
    for cls in (Dice, Focal, Tversky):
        assert cls(class_weights=[2.0] * 4)(logits, targets).item() == pytest.approx(cls()(logits, targets).item())


def test_lovasz_class_weights_multiply_the_classes_losses_as_mmseg():
    logits, targets = seeded_batch()
    doubled = Lovasz(class_weights=[2.0] * 4)(logits, targets)
    assert doubled.item() == pytest.approx(2 * Lovasz()(logits, targets).item())


def test_lovasz_per_image_leaves_out_an_image_with_no_valid_pixel():
    logits, targets = seeded_batch()
    targets[0] = IGNORE
    both = Lovasz(per_image=True)(logits, targets)
    assert both.item() == pytest.approx(Lovasz(per_image=True)(logits[1:], targets[1:]).item(), rel=1e-6)


def test_ohem_keeps_min_kept_per_image_or_per_batch():
    logits, targets = seeded_batch()
    n_valid = int((targets != IGNORE).sum())
    # thresh 0 lets min_kept decide: the pixels below the (k+1)-th smallest probability, k per image or per batch.
    assert int(OHEMCrossEntropy(thresh=0.0, min_kept=25).hard_pixels(logits, targets).sum()) == 50
    assert int(OHEMCrossEntropy(thresh=0.0, min_kept=25, per_image=False).hard_pixels(logits, targets).sum()) == 25
    # thresh 1 keeps every valid pixel that is not certain.
    assert int(OHEMCrossEntropy(thresh=1.0, min_kept=1).hard_pixels(logits, targets).sum()) == n_valid
    # The kept pixels' cross-entropy: "valid" averages over them.
    ohem = OHEMCrossEntropy(thresh=0.0, min_kept=25)
    kept = ohem.hard_pixels(logits, targets)
    expected = F.cross_entropy(logits, torch.where(kept, targets, IGNORE), ignore_index=IGNORE)
    assert ohem(logits, targets).item() == pytest.approx(expected.item(), rel=1e-6)


def test_log_names():
    assert [loss_term_name(n) for n in ("CrossEntropy", "Dice", "OHEMCrossEntropy", "Lovasz")] == [
        "cross_entropy", "dice", "ohem_cross_entropy", "lovasz"]


def tiny_cfg(*opts):
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "4", "MODEL.RESNETS.DEPTH", "18",
                         "MODEL.RESNETS.BASE_WIDTH", "8", "MODEL.RESNETS.OUT_FEATURES", "['res4', 'res5']",
                         "MODEL.HEAD.CHANNELS", "8", "MODEL.AUX_HEADS", "['AUX_HEAD']", "MODEL.AUX_HEAD.CHANNELS", "8",
                         *opts])
    return cfg


def test_config_errors_are_one_line_naming_the_key():
    for opts, message in [
        (["MODEL.LOSS.NAMES", "['CrossEntropy', 'Dise']", "MODEL.LOSS.WEIGHTS", "[1.0, 1.0]"],
         "MODEL.LOSS.NAMES must be a list of registered losses ('CrossEntropy', 'Dice', 'Focal', 'Lovasz', "
         "'OHEMCrossEntropy', 'Tversky'); 'Dise' is not one, got ['CrossEntropy', 'Dise']"),
        (["MODEL.LOSS.NAMES", "['CrossEntropy', 'Dice']"],
         "MODEL.LOSS.WEIGHTS must be as many numbers >= 0 as MODEL.LOSS.NAMES has names (2), got [1.0]"),
        (["MODEL.LOSS.NAMES", "['Dice', 'Dice']", "MODEL.LOSS.WEIGHTS", "[1.0, 1.0]"],
         "MODEL.LOSS.NAMES must be a list that names each loss once, got ['Dice', 'Dice']"),
    ]:
        cfg = tiny_cfg(*opts)
        with pytest.raises(ConfigError) as raised:
            validate_values(cfg)
        assert str(raised.value) == message
        with pytest.raises(ValueError) as raised:
            build_model(cfg)
        assert str(raised.value) == message
    for key, value in [("MODEL.LOSS.FOCAL.ALPHA", "1.5"), ("MODEL.LOSS.OHEM.MIN_KEPT", "0"),
                       ("MODEL.LOSS.DICE.EPS", "0.0"), ("MODEL.LOSS.AVERAGE", "'mean'")]:
        with pytest.raises(ConfigError, match=f"^{key} must be "):
            validate_values(tiny_cfg(key, value))
    validate_values(tiny_cfg("MODEL.LOSS.AVERAGE", "valid_pixels", "MODEL.LOSS.FOCAL.ALPHA", "0.25"))


def batch():
    g = torch.Generator().manual_seed(0)
    return [{"image": torch.randint(0, 256, (3, 33, 49), dtype=torch.uint8, generator=g),
             "sem_seg": torch.randint(0, 4, (33, 49), generator=g), "height": 33, "width": 49} for _ in range(2)]


def test_the_default_is_the_cross_entropy_of_every_output():
    torch.manual_seed(0)
    model = build_model(tiny_cfg("MODEL.LOSS.CLASS_WEIGHTS", str(W), "MODEL.LOSS.AVERAGE", "all")).train()
    torch.manual_seed(1)
    losses = model(batch())
    torch.manual_seed(1)
    images, _ = model.preprocess_images(batch())
    outputs = model.segment(images)
    targets = model.preprocess_targets(batch(), images.shape[-2:])
    assert set(losses) == {"loss_sem_seg", "loss_aux"}
    for name, weight in (("sem_seg", 1.0), ("aux", 0.4)):
        expected = weight * sem_seg_cross_entropy(outputs[name], targets, IGNORE, False, torch.tensor(W), "all")
        assert torch.equal(losses[f"loss_{name}"], expected)
    assert "pixel_losses.losses.cross_entropy.class_weights" not in model.state_dict()


@pytest.mark.parametrize("trainer_cls", [SimpleTrainer, AMPTrainer])
def test_a_training_step_logs_each_loss_of_each_output(trainer_cls):
    torch.manual_seed(0)
    model = build_model(tiny_cfg("MODEL.LOSS.NAMES", "['CrossEntropy', 'Dice']", "MODEL.LOSS.WEIGHTS", "[1.0, 0.5]"))
    extra = {"dtype": "bfloat16"} if trainer_cls is AMPTrainer else {}
    trainer = trainer_cls(model, itertools.repeat(batch()), torch.optim.SGD(model.parameters(), lr=0.01), **extra)
    trainer.train(0, 2)
    logged = {k: v.latest() for k, v in trainer.storage.histories().items()}
    names = {"loss_sem_seg_cross_entropy", "loss_sem_seg_dice", "loss_aux_cross_entropy", "loss_aux_dice"}
    assert names <= set(logged) and all(math.isfinite(logged[n]) for n in names)
    assert logged["total_loss"] == pytest.approx(sum(logged[n] for n in names), rel=1e-6)
    # Each term is weighted: the Dice term by 0.5 (MODEL.LOSS.WEIGHTS) and, for "aux", by AUX_HEAD.LOSS_WEIGHT 0.4.
    torch.manual_seed(1)
    losses = model(batch())
    torch.manual_seed(1)
    images, _ = model.preprocess_images(batch())
    outputs = model.segment(images)
    targets = model.preprocess_targets(batch(), images.shape[-2:])
    assert torch.equal(losses["loss_aux_dice"], 0.4 * (0.5 * Dice()(outputs["aux"], targets)))
    assert torch.equal(losses["loss_sem_seg_cross_entropy"], 1.0 * (1.0 * CrossEntropy()(outputs["sem_seg"], targets)))
