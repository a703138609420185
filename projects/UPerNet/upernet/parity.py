"""The references of UPerNet's converters that ``tools/check_parity.py`` checks so far: mmsegmentation's UPerNet R50
and segmentation_models_pytorch's UPerNet. The Swin and ConvNeXt layouts (mmsegmentation's, the authors', transformers'
and the ImageNet backbones') have no entry yet: tests/parity/test_every_converter_has_a_reference.py names them."""
from seg_engine.parity import ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.mmseg import mmseg_reference

CLASSES = 150


def smp_upernet(_root):
    import segmentation_models_pytorch as smp

    return smp.UPerNet("resnet50", encoder_weights=None, classes=CLASSES)


register_parity_reference(mmseg_reference("mmseg_upernet", "upernet/upernet_r50_4xb4-80k_ade20k-512x512.py",
                                          num_classes=CLASSES))
register_parity_reference(ParityReference(
    name="smp_upernet", converter="smp_upernet",
    reference="segmentation_models_pytorch.UPerNet('resnet50', classes=150)",
    requires=Requirement(modules=("segmentation_models_pytorch",), install="pip install segmentation-models-pytorch"),
    build=smp_upernet, logits=lambda model, images: model(normalized(images)), sizes=((96, 64), (160, 96)),
    compared="the logits at the input size, at multiples of 32 (smp refuses others)"))
