"""The references DeepLab's converters are checked against (``tools/check_parity.py NAME``): torchvision's
DeepLabv3 and mmsegmentation's DeepLabv3, DeepLabv3+ and FastFCN DeepLabv3."""
from seg_engine.parity import ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.mmseg import mmseg_reference

TORCHVISION = Requirement(modules=("torchvision",), install="pip install torchvision")


def torchvision_deeplabv3(depth):
    """torchvision's deeplabv3_resnet<depth> as its COCO-VOC weights are built: 21 classes, the auxiliary FCN head."""

    def build(_root):
        from torchvision.models import segmentation

        return getattr(segmentation, f"deeplabv3_resnet{depth}")(weights=None, weights_backbone=None, num_classes=21,
                                                                 aux_loss=True)

    return build


for name, depth, opts in (("torchvision_deeplabv3", 50, []),
                          ("torchvision_deeplabv3/resnet101", 101, ["MODEL.RESNETS.DEPTH", 101])):
    register_parity_reference(ParityReference(
        name=name, converter="torchvision_deeplabv3",
        reference=f"torchvision.models.segmentation.deeplabv3_resnet{depth}(num_classes=21, aux_loss=True)",
        requires=TORCHVISION, build=torchvision_deeplabv3(depth), opts=opts,
        logits=lambda model, images: model(normalized(images))["out"],
        compared="the logits at the input size (its forward upsamples them, align_corners=False)"))
register_parity_reference(mmseg_reference("mmseg_deeplabv3", "deeplabv3/deeplabv3_r50-d8_4xb4-80k_ade20k-512x512.py"))
register_parity_reference(mmseg_reference("mmseg_deeplabv3plus",
                                          "deeplabv3plus/deeplabv3plus_r50-d8_4xb4-80k_ade20k-512x512.py"))
register_parity_reference(mmseg_reference("mmseg_fastfcn_aspp",
                                          "fastfcn/fastfcn_r50-d32_jpu_aspp_4xb2-80k_cityscapes-512x1024.py"))
# mmsegmentation's r18b models: its ResNet-18 (torchvision's 7x7 stem, BasicBlocks dilating their first conv)
register_parity_reference(mmseg_reference(
    "mmseg_deeplabv3plus", "deeplabv3plus/deeplabv3plus_r18b-d8_4xb2-80k_cityscapes-512x1024.py",
    name="mmseg_deeplabv3plus/r18b",
    recipe="seg_engine://DeepLab/cityscapes/deeplabv3plus_R50-D8_512x1024_80k_cityscapes_mmseg.yaml",
    opts=("MODEL.RESNETS.DEPTH", 18, "MODEL.RESNETS.STEM", "basic", "MODEL.RESNETS.STEM_WIDTH", 0,
          "MODEL.RESNETS.BASIC_BLOCK_DILATION", "first", "MODEL.HEAD.CHANNELS", 128, "MODEL.AUX_HEAD.CHANNELS", 64,
          "MODEL.DEEPLAB.LOW_LEVEL_CHANNELS", 12)))
