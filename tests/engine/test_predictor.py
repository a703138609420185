import numpy as np
import torch

from seg_engine.checkpoint import Checkpointer
from seg_engine.config import get_cfg
from seg_engine.engine import DefaultPredictor
from seg_engine.modeling import build_model


def test_predictor_matches_the_model_on_one_image(tmp_path):
    cfg = get_cfg()
    cfg.merge_from_list([
        "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", "3", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.BASE_WIDTH", "8",
        "MODEL.RESNETS.OUT_FEATURES", "['res5']", "MODEL.HEAD.CHANNELS", "8",
    ])
    torch.manual_seed(0)
    model = build_model(cfg)
    Checkpointer(model, str(tmp_path)).save("model_final")
    cfg.MODEL.WEIGHTS = str(tmp_path / "model_final.pth")
    image = np.random.default_rng(0).integers(0, 256, (47, 71, 3), dtype=np.uint8)
    out = DefaultPredictor(cfg)(image)["sem_seg"]
    model.eval()
    with torch.no_grad():
        expected = model([{"image": torch.from_numpy(image.transpose(2, 0, 1).copy()), "height": 47, "width": 71}])
    assert out.shape == (3, 47, 71)
    assert torch.equal(out, expected[0]["sem_seg"])
