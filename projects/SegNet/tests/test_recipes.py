"""Every recipe of the project loads and builds SegNet; the CamVid recipe holds the authors' solver and loss."""
import glob
import os


from seg_engine.checkpoint import resolve_weights
from seg_engine.config import get_cfg
from seg_engine.data.transforms import build_augmentation
from seg_engine.plugins import load_plugin
from seg_engine.solver.lr_scheduler import build_lr_multiplier

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(os.path.dirname(HERE), "configs")
load_plugin(os.path.dirname(HERE))

RECIPES = sorted(glob.glob(os.path.join(CONFIGS, "*", "*.yaml")))
# segnet_train.prototxt's loss_param class_weighting, in label order.
PROTOTXT_CLASS_WEIGHTS = [0.2595, 0.1826, 4.5640, 0.1417, 0.9051, 0.3826, 9.6446, 1.8418, 0.6823, 6.2478, 7.3614]


def load(path):
    cfg = get_cfg()
    cfg.merge_from_file(path)
    return cfg


def test_camvid_recipe_is_the_authors_solver_and_loss():
    cfg = load(os.path.join(CONFIGS, "camvid", "segnet_vgg16bn_camvid_paper.yaml"))
    assert cfg.DATASETS.TRAIN == ("camvid_train",) and cfg.DATASETS.TEST == ("camvid_test",)
    assert cfg.MODEL.NUM_CLASSES == 11 and list(cfg.MODEL.LOSS.CLASS_WEIGHTS) == PROTOTXT_CLASS_WEIGHTS
    assert cfg.MODEL.LOSS.AVERAGE == "valid_pixels"
    s = cfg.SOLVER
    solver = (s.OPTIMIZER, s.BASE_LR, s.MOMENTUM, s.WEIGHT_DECAY, s.IMS_PER_BATCH, s.MAX_ITER)
    assert solver == ("SGD", 0.001, 0.9, 0.0005, 4, 40000)
    assert (s.BIAS_LR_FACTOR, s.WEIGHT_DECAY_BIAS) == (2.0, 0.0)  # conv biases: lr_mult 2, decay_mult 0
    multiplier = build_lr_multiplier(cfg)
    assert [multiplier(p) for p in (0.0, 0.25, 0.5, 0.999)] == [1.0] * 4  # "step" with gamma 1: fixed
    assert build_augmentation(cfg, True).augs == []  # full 360x480 images, no augmentation
    assert os.path.basename(resolve_weights(cfg.MODEL.WEIGHTS).location) == "vgg16_bn-6c64b313.pth" and cfg.MODEL.WEIGHTS_FORMAT == ""
