"""The references FCN's converters are checked against (``tools/check_parity.py NAME``): wkentaro/pytorch-fcn's
FCN-32s/16s/8s/8s-at-once from a checkout, torchvision's fcn_resnet50 and mmsegmentation's FCN R50-D8."""
import sys

from torch import nn

from seg_engine.parity import ParityReference, Requirement, register_parity_reference
from seg_engine.parity.adapters import normalized
from seg_engine.parity.checkout import Unavailable, import_from_checkout, package_without_init, stand_in_module
from seg_engine.parity.mmseg import mmseg_reference

PYTORCH_FCN = Requirement(repository="wkentaro/pytorch-fcn", marker="torchfcn/models/fcn8s.py")
MEAN_BGR = (104.00698793, 116.66876762, 122.67891434)  # torchfcn.datasets.voc: BGR, 0..255, no std


def torchfcn_model(name):
    """``torchfcn.models.<name>(n_class=21)`` with every convolution and deconvolution redrawn: its own
    initialisation zeroes the convolutions (it expects VGG-16 to be copied in) and makes every deconvolution the
    same bilinear kernel, under which two swapped upsampling layers would agree."""

    def build(root):
        if "torchfcn" not in sys.modules:
            stand_in_module("fcn.data", cached_download=Unavailable("fcn.data.cached_download", "downloads weights"))
            package_without_init("torchfcn", f"{root}/torchfcn")  # its __init__ imports the trainer's dependencies
        model = getattr(import_from_checkout(root, "torchfcn.models"), name)(n_class=21)
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                if module.bias is not None:
                    nn.init.normal_(module.bias, std=0.01)
        return model

    return build


def trainer_file(model):
    """The file their trainer writes: the weights under ``model_state_dict`` beside the training state."""
    return {"epoch": 0, "iteration": 0, "arch": type(model).__name__, "model_state_dict": model.state_dict(),
            "best_mean_iu": 0.0}


def caffe_input(model, images):
    return model(normalized(images.flip(1), MEAN_BGR, (1.0, 1.0, 1.0)))


for name, variant, opts in (("pytorch_fcn", "FCN8s", []), ("pytorch_fcn/fcn32s", "FCN32s", ["MODEL.FCN.STRIDE", 32]),
                            ("pytorch_fcn/fcn16s", "FCN16s", ["MODEL.FCN.STRIDE", 16]),
                            ("pytorch_fcn/fcn8s_atonce", "FCN8sAtOnce",
                             ["MODEL.FCN.POOL4_SCALE", 0.01, "MODEL.FCN.POOL3_SCALE", 0.0001])):
    register_parity_reference(ParityReference(
        name=name, converter="pytorch_fcn", reference=f"wkentaro/pytorch-fcn torchfcn.models.{variant}(n_class=21)",
        requires=PYTORCH_FCN, build=torchfcn_model(variant), logits=caffe_input, checkpoint=trainer_file, opts=opts,
        compared="the logits at the input size (cropped by its forward), on Caffe input (BGR, 0..255 minus its mean) "
                 "on its side",
        notes="its package __init__ (trainer dependencies) is not run and the chainer-era fcn package (downloads "
              "only) is stood in for; its convolutions and deconvolutions are redrawn (its init zeroes them)"))


def torchvision_fcn(depth):
    """torchvision's fcn_resnet<depth> as its COCO-VOC weights are built: 21 classes, the auxiliary FCN head."""

    def build(_root):
        from torchvision.models import segmentation

        return getattr(segmentation, f"fcn_resnet{depth}")(weights=None, weights_backbone=None, num_classes=21,
                                                           aux_loss=True)

    return build


for name, depth, opts in (("torchvision_fcn", 50, []), ("torchvision_fcn/resnet101", 101, ["MODEL.RESNETS.DEPTH", 101])):
    register_parity_reference(ParityReference(
        name=name, converter="torchvision_fcn",
        reference=f"torchvision.models.segmentation.fcn_resnet{depth}(num_classes=21, aux_loss=True)",
        requires=Requirement(modules=("torchvision",), install="pip install torchvision"), build=torchvision_fcn(depth),
        opts=opts, logits=lambda model, images: model(normalized(images))["out"],
        compared="the logits at the input size (its forward upsamples them, align_corners=False)"))
register_parity_reference(mmseg_reference("mmseg_fcn", "fcn/fcn_r50-d8_4xb4-80k_ade20k-512x512.py"))
# mmsegmentation's fcn-d6 models: output stride 16, the heads' 3x3 convs dilated by 6
register_parity_reference(mmseg_reference(
    "mmseg_fcn", "fcn/fcn-d6_r50-d16_4xb2-80k_cityscapes-512x1024.py", name="mmseg_fcn/fcn-d6",
    opts=("MODEL.NUM_CLASSES", 19, "MODEL.RESNETS.OUTPUT_STRIDE", 16, "MODEL.HEAD.DILATION", 6,
          "MODEL.AUX_HEAD.DILATION", 6)))
