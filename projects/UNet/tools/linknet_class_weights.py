"""Print MODEL.LOSS.CLASS_WEIGHTS for LinkNet's weighted loss from a recipe's training set.

    python projects/UNet/tools/linknet_class_weights.py --config-file RECIPE.yaml [KEY VALUE ...]
"""
from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-file", required=True)
    parser.add_argument("opts", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    from seg_engine.config import get_cfg
    from seg_engine.data.datasets import register_folder_from_cfg
    from seg_engine.plugins import load_plugin

    load_plugin(os.path.join(os.path.dirname(HERE), "unet"))
    from seg_engine_projects.unet.class_weights import label_histogram, linknet_class_weights

    cfg = get_cfg()
    cfg.merge_from_file(args.config_file)
    cfg.merge_from_list(args.opts)
    register_folder_from_cfg(cfg)
    hist = label_histogram(cfg.DATASETS.TRAIN, cfg.MODEL.NUM_CLASSES, cfg.MODEL.IGNORE_VALUE)
    weights = linknet_class_weights(hist)
    print("# pixels per class:", hist.tolist())
    print("MODEL.LOSS.CLASS_WEIGHTS: [" + ", ".join(f"{w:.4f}" for w in weights) + "]")
    return weights


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    main()
