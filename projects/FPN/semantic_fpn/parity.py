"""The references Semantic FPN's converters are checked against (``tools/check_parity.py NAME``): mmsegmentation's
FPN R50 and segmentation_models_pytorch's FPN."""
from seg_engine.parity import register_parity_reference
from seg_engine.parity.mmseg import mmseg_reference
from seg_engine.parity.smp import smp_reference

register_parity_reference(mmseg_reference("mmseg_fpn", "sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py"))
register_parity_reference(smp_reference("smp_fpn", "FPN", "resnet50", 21))
