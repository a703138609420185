"""The references the U-shaped models' converters are checked against (``tools/check_parity.py NAME``):
milesial/Pytorch-UNet's UNet (both variants) from a checkout, mmsegmentation's UNet S5-D16 and
segmentation_models_pytorch's Unet, UnetPlusPlus and Linknet."""
from seg_engine.parity import DEFAULT_SIZES, ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.checkout import import_from_checkout
from seg_engine.parity.mmseg import mmseg_reference
from seg_engine.parity.smp import smp_reference

MILESIAL = Requirement(repository="milesial/Pytorch-UNet", marker="unet/unet_model.py")
CARVANA_CLASSES = 2  # their Carvana release (hubconf unet_carvana): UNet(n_channels=3, n_classes=2)


def milesial_unet(bilinear):
    def build(root):
        return import_from_checkout(root, "unet").UNet(n_channels=3, n_classes=CARVANA_CLASSES, bilinear=bilinear)

    return build


def milesial_file(model):
    """What their train.py saves: the state dict with the dataset's ``mask_values`` added."""
    return {**model.state_dict(), "mask_values": [0, 1]}


for name, bilinear in (("milesial_unet", False), ("milesial_unet/bilinear", True)):
    register_parity_reference(ParityReference(
        name=name, converter="milesial_unet",
        reference=f"milesial/Pytorch-UNet unet.UNet(n_channels=3, n_classes=2, bilinear={bilinear})",
        requires=MILESIAL, build=milesial_unet(bilinear),
        logits=lambda model, images: model(normalized(images, (0.0,) * 3, (255.0,) * 3)),
        checkpoint=milesial_file, opts=["MODEL.NUM_CLASSES", CARVANA_CLASSES],
        recipe="seg_engine://UNet/Base-UNet-milesial-bilinear.yaml" if bilinear else "",
        compared="the logits at the input size"))

register_parity_reference(mmseg_reference(
    "mmseg_unet", "unet/unet-s5-d16_fcn_4xb4-160k_cityscapes-512x1024.py", num_classes=150,
    sizes=((96, 64), (128, 80)),
    compared="the logits at the input size, at multiples of 16 (mmsegmentation's UNet asserts them)"))

register_parity_reference(smp_reference(
    "smp_unet", "Unet", "resnet34", 21, sizes=DEFAULT_SIZES, compared="the logits at the input size",
    opts=["MODEL.PAD_INPUT", False],
    notes="smp 0.6's Unet takes any size and resizes (nearest) each up-sampled map to its skip, which is "
          "MODEL.PAD_INPUT False; the recipe pads the input to 32 instead, which agrees at multiples of 32 only"))
register_parity_reference(smp_reference("smp_unetplusplus", "UnetPlusPlus", "resnet34", 2,
                                        opts=["MODEL.NUM_CLASSES", 2]))
register_parity_reference(smp_reference("smp_linknet", "Linknet", "resnet18", 12))
