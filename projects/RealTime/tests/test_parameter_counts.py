"""The references' sizes (mmsegmentation 1.2.2 at 19 classes, torchvision at 21), counted from the reference
models outside the repo (the key tables' headers), and ours built from the recipes."""
import os
import sys

import pytest

from seg_engine.utils.testing import num_params

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from realtime_test_helpers import build  # noqa: E402

# mmseg's STDCHead holds its fusion kernel (3 constants) as a Parameter; ours keeps no such constant.
STDC_HEAD_CONSTANTS = 3


@pytest.mark.parametrize("recipe, reference", [
    ("cityscapes/pidnet-s_1024x1024_120k_cityscapes_mmseg.yaml", 7_720_871),
    ("cityscapes/pidnet-m_1024x1024_120k_cityscapes_mmseg.yaml", 28_762_983),
    ("cityscapes/pidnet-l_1024x1024_120k_cityscapes_mmseg.yaml", 37_314_183),
    ("cityscapes/ddrnet-23-slim_1024x1024_120k_cityscapes_mmseg.yaml", 5_734_278),
    ("cityscapes/ddrnet-23_1024x1024_120k_cityscapes_mmseg.yaml", 20_299_238),
    ("cityscapes/bisenetv1_R18_1024x1024_160k_cityscapes_mmseg.yaml", 13_425_721),
    ("cityscapes/bisenetv2_1024x1024_160k_cityscapes_mmseg.yaml", 14_804_255),
    ("cityscapes/stdc1_512x1024_80k_cityscapes_mmseg.yaml", 8_573_022 - STDC_HEAD_CONSTANTS),
    ("cityscapes/stdc2_512x1024_80k_cityscapes_mmseg.yaml", 12_603_486 - STDC_HEAD_CONSTANTS),
    ("voc2012/lraspp_mobilenetv3-large_voc2012aug_torchvision.yaml", 3_221_538),
    # the authors' PIDNet-S (augment=True): mmseg's plus the stem convs' 2 x 32 biases
    ("cityscapes/pidnet-s_cityscapes_xujiacong.yaml", 7_720_935),
    # CoinCheung's BiSeNetV1 (aux_mode='train'): mmseg's tensors (their FFM attention drops a ReLU, no weights)
    ("cityscapes/bisenetv1_R18_cityscapes_coincheung.yaml", 13_425_721),
    # CoinCheung's BiSeNetV2 without its booster heads (5,231,487 with them), nor pointwise biases
    ("cityscapes/bisenetv2_cityscapes_coincheung.yaml", 3_358_627),
])
def test_reference_sizes(recipe, reference):
    assert num_params(build(recipe, device="meta")) == reference


def test_stdc_detail_head_has_two_outputs_as_mmseg():
    """mmseg's stdc configs give STDCHead num_classes=2 whatever the dataset: 8,573,022 parameters at 19 classes
    (a 19-class STDCHead would add 17 x 65 = 1,105)."""
    model = build("cityscapes/stdc1_512x1024_80k_cityscapes_mmseg.yaml", device="meta")
    assert model.aux_head3.classifier.out_channels == 2
    assert model.decode_head.classifier.out_channels == 19
