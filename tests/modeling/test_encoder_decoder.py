import pytest
import torch

from seg_engine.config import get_cfg
from seg_engine.modeling import build_model


def tiny_cfg(aux=True):
    cfg = get_cfg()
    cfg.merge_from_list([
        "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "5", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
        "MODEL.RESNETS.OUT_FEATURES", "['res4', 'res5']", "MODEL.HEAD.CHANNELS", "16",
        "MODEL.AUX_HEAD.ENABLED", str(aux), "MODEL.AUX_HEAD.CHANNELS", "8",
    ])
    return cfg


def sample(h, w, label=1):
    return {
        "image": torch.randint(0, 256, (3, h, w), dtype=torch.uint8),
        "sem_seg": torch.full((h, w), label, dtype=torch.long),
        "height": h,
        "width": w,
    }


def test_training_returns_weighted_named_losses():
    torch.manual_seed(0)
    model = build_model(tiny_cfg())
    model.train()
    losses = model([sample(65, 65), sample(47, 71)])
    assert set(losses) == {"loss_sem_seg", "loss_aux"}
    assert all(v.ndim == 0 and torch.isfinite(v) for v in losses.values())
    model.aux_head = None
    model.eval()
    with torch.no_grad():
        main_only = model.decode(model.backbone(model.preprocess_images([sample(33, 33)])[0]))
    assert set(main_only) == {"sem_seg"}


def test_padding_is_ignored_by_the_loss():
    torch.manual_seed(0)
    model = build_model(tiny_cfg(aux=False))
    model.train()
    a, b = sample(40, 40), sample(65, 65)
    images, _ = model.preprocess_images([a, b])
    targets = model.preprocess_targets([a, b], images.shape[-2:])
    assert images.shape[-2:] == (65, 65)
    assert (targets[0, 40:, :] == 255).all() and (targets[0, :40, :40] == 1).all()
    assert images[0, :, 40:, :].abs().sum() == 0  # padded with the mean, which normalizes to 0


def test_all_ignored_batch_gives_zero_loss_not_nan():
    model = build_model(tiny_cfg(aux=False))
    model.train()
    losses = model([sample(33, 33, label=255)])
    assert losses["loss_sem_seg"].item() == 0.0


def test_inference_returns_logits_at_original_size():
    model = build_model(tiny_cfg())
    model.eval()
    small = sample(40, 52)
    small["height"], small["width"] = 80, 104  # the image was resized to half by the test mapper
    with torch.no_grad():
        out = model([sample(65, 65), sample(47, 71), small])
    assert [tuple(o["sem_seg"].shape) for o in out] == [(5, 65, 65), (5, 47, 71), (5, 80, 104)]


def test_batch_padding_does_not_change_an_images_prediction():
    torch.manual_seed(0)
    cfg = tiny_cfg(aux=False)
    cfg.MODEL.SIZE_DIVISIBILITY = 8
    model = build_model(cfg)
    model.eval()
    x = sample(64, 64)
    with torch.no_grad():
        alone = model([x])[0]["sem_seg"]
        batched = model([x, sample(64, 64)])[0]["sem_seg"]
    assert torch.allclose(alone, batched, atol=1e-5)


def test_missing_head_feature_is_a_clear_error():
    cfg = tiny_cfg()
    cfg.MODEL.RESNETS.OUT_FEATURES = ["res5"]
    with pytest.raises(ValueError, match="res4.*OUT_FEATURES"):
        build_model(cfg)
