"""The references Semantic FPN's converters are checked against (``tools/check_parity.py NAME``): mmsegmentation's
FPN R50 and segmentation_models_pytorch's FPN."""
from seg_engine.parity import ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.mmseg import mmseg_reference


def smp_fpn(_root):
    import segmentation_models_pytorch as smp

    return smp.FPN("resnet50", encoder_weights=None, classes=21)


register_parity_reference(mmseg_reference("mmseg_fpn", "sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py"))
register_parity_reference(ParityReference(
    name="smp_fpn", converter="smp_fpn", reference="segmentation_models_pytorch.FPN('resnet50', classes=21)",
    requires=Requirement(modules=("segmentation_models_pytorch",), install="pip install segmentation-models-pytorch"),
    build=smp_fpn, logits=lambda model, images: model(normalized(images)), sizes=((96, 64), (160, 96)),
    compared="the logits at the input size, at multiples of 32 (smp refuses others)"))
