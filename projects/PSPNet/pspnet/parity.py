"""The references PSPNet's converters are checked against (``tools/check_parity.py semseg_pspnet``, ...): the
authors' model from a checkout of hszhao/semseg, and mmsegmentation's PSPNet and FastFCN PSPNet."""
from seg_engine.parity import ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import data_parallel_file, normalized
from seg_engine.parity.checkout import import_from_checkout
from seg_engine.parity.mmseg import mmseg_reference


def semseg_pspnet50(root):
    """hszhao/semseg's PSPNet-50 for ADE20K as its test script builds it (no ImageNet weights)."""
    pspnet = import_from_checkout(root, "model.pspnet")
    return pspnet.PSPNet(layers=50, bins=(1, 2, 3, 6), dropout=0.1, classes=150, zoom_factor=8, use_ppm=True,
                         pretrained=False)


register_parity_reference(ParityReference(
    name="semseg_pspnet", converter="semseg_pspnet",
    reference="hszhao/semseg model.pspnet.PSPNet(layers=50, bins=(1, 2, 3, 6), classes=150, zoom_factor=8)",
    requires=Requirement(repository="hszhao/semseg", marker="model/pspnet.py"), build=semseg_pspnet50,
    logits=lambda model, images: model(normalized(images)), checkpoint=data_parallel_file,
    sizes=((97, 65), (129, 97)),
    compared="the logits at the input size (its forward upsamples them, align_corners=True), at sizes 8k + 1, "
             "which its forward asserts; its file: train_epoch_*.pth ({'state_dict': {'module.' + key}})"))
register_parity_reference(mmseg_reference("mmseg_pspnet", "pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py"))
register_parity_reference(mmseg_reference("mmseg_fastfcn_psp",
                                          "fastfcn/fastfcn_r50-d32_jpu_psp_4xb4-80k_ade20k-512x512.py"))
# mmsegmentation's r50b models: its ResNet (torchvision's 7x7 stem), the same converter
register_parity_reference(mmseg_reference(
    "mmseg_pspnet", "pspnet/pspnet_r50b-d8_4xb2-80k_cityscapes-512x1024.py", name="mmseg_pspnet/r50b",
    opts=("MODEL.NUM_CLASSES", 19, "MODEL.RESNETS.STEM", "basic", "MODEL.RESNETS.STEM_WIDTH", 0)))
