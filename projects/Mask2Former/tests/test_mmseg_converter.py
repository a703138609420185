"""mmsegmentation 1.2.2's Mask2Former R50 (mmdet 3.3.0's head, 150 classes) has our parameters plus its BN affines (the
key-by-key mapping of data/mmseg_mask2former_r50_keys.txt is tests/checkpoint/test_layouts.py's, mmseg_mask2former),
and --compare-mmseg pairs the recipes with its config."""
import os

from seg_engine.analysis.compare_mmseg import select_mmseg_model
from seg_engine.plugins import load_plugin
from seg_engine.utils.testing import build_on_meta, load_config, num_params

HERE = os.path.dirname(os.path.abspath(__file__))
load_plugin(os.path.dirname(HERE))
R50_MMSEG = os.path.join(os.path.dirname(HERE), "configs", "ade20k", "mask2former_r50_512x512_160k_ade20k_mmseg.yaml")


def test_mmsegs_parameter_count_is_ours_plus_the_frozen_bn_affines():
    assert num_params(build_on_meta(load_config(R50_MMSEG))) + 53_120 == 44_041_367  # mmseg's count
    assert "44041367 parameters" in open(os.path.join(HERE, "data", "mmseg_mask2former_r50_keys.txt")).read()


def test_compare_mmseg_pairs_the_recipes_with_mmsegs_config():
    config = "mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py"
    assert select_mmseg_model(load_config(R50_MMSEG)) == ("mmseg_mask2former", config)
    d2 = load_config(R50_MMSEG.replace("_mmseg.yaml", "_d2.yaml"))  # paired by its head and neck
    assert select_mmseg_model(d2) == ("mmseg_mask2former", config)
