"""The parity entries of the core's layouts: ImageNet backbones, checked as backbones (our backbone's deepest map
against the reference network's last stage, on a recipe-free config of the core; for the Swin and ConvNeXt files
without output norms, the last stage before them), and the JPU neck, checked through the FastFCN models that
contain it."""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, Optional

import torch
from torch import nn

from .adapters import module_output, normalized
from .checkout import import_from_checkout
from .mmseg import INSTALL as MMSEG_INSTALL
from .mmseg import import_mmseg, mmseg_checkpoint, quiet_init_weights
from .pytorch_encoding import MARKER as ENCODING_MARKER
from .pytorch_encoding import REPOSITORY as ENCODING_REPOSITORY
from .pytorch_encoding import import_encoding
from .reference import ParityReference, Requirement, backbone_output, register_parity_reference

BASE = "seg_engine://Base-Segmentation.yaml"
RESNET = ["MODEL.RESNETS.OUTPUT_STRIDE", 32]
AS_BACKBONE = dict(recipe=BASE, scope="backbone.", ours=backbone_output("res5"))
LAYER4 = "our backbone's res5 against the reference's last stage (layer4)"
TORCHVISION = Requirement(modules=("torchvision",), install="pip install torchvision")


def _layer4(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    return module_output(model, "layer4", normalized(images))


def _mmseg_resnet_v1c(_root: Optional[str]) -> nn.Module:
    import_mmseg()
    from mmseg.registry import MODELS

    backbone = MODELS.build(dict(type="ResNetV1c", depth=50, out_indices=(3,), norm_cfg=dict(type="BN")))
    quiet_init_weights(backbone)
    return backbone


register_parity_reference(ParityReference(
    name="mmseg_resnet_v1c", converter="mmseg_resnet_v1c",
    reference="mmsegmentation's ResNetV1c(depth=50) backbone (the network of open-mmlab://resnet50_v1c)",
    requires=Requirement(modules=("mmseg",), install=MMSEG_INSTALL), build=_mmseg_resnet_v1c,
    logits=lambda model, images: model(normalized(images))[-1], checkpoint=mmseg_checkpoint,
    opts=[*RESNET, "MODEL.RESNETS.STEM_WIDTH", 32], compared=LAYER4, **AS_BACKBONE))

register_parity_reference(ParityReference(
    name="semseg_resnet_imagenet", converter="semseg_resnet_imagenet",
    reference="hszhao/semseg model.resnet.resnet50(deep_base=True) (the network of initmodel/resnet50_v2.pth)",
    requires=Requirement(repository="hszhao/semseg", marker="model/resnet.py"),
    build=lambda root: import_from_checkout(root, "model.resnet").resnet50(pretrained=False, deep_base=True),
    logits=_layer4, opts=RESNET, compared=LAYER4, **AS_BACKBONE))


def _encoding_resnet50s(root: Optional[str]) -> nn.Module:
    import_encoding(root)
    return import_from_checkout(root, "encoding.models.backbone").resnet50s(pretrained=False)


register_parity_reference(ParityReference(
    name="pytorch_encoding_resnet", converter="pytorch_encoding_resnet",
    reference="PyTorch-Encoding encoding.models.backbone.resnet50s() (deep stem; resnet50s-a75c83cf.pth)",
    requires=Requirement(repository=ENCODING_REPOSITORY, marker=ENCODING_MARKER), build=_encoding_resnet50s,
    logits=_layer4, opts=RESNET, compared=LAYER4,
    notes="its compiled encoding.cpu/gpu and generated version.py are stood in for (seg_engine.parity."
          "pytorch_encoding); the backbone needs none of them", **AS_BACKBONE))

register_parity_reference(ParityReference(
    name="pytorch_encoding_resnet/fastfcn", converter="pytorch_encoding_resnet",
    reference="wuhuikai/FastFCN encoding.dilated.resnet50(dilated=False, deep_base=False) (the 7x7 stem)",
    requires=Requirement(repository="wuhuikai/FastFCN", marker="encoding/dilated/resnet.py"),
    build=lambda root: import_from_checkout(root, "encoding.dilated").resnet50(pretrained=False, dilated=False,
                                                                               deep_base=False),
    logits=_layer4, opts=[*RESNET, "MODEL.RESNETS.STEM", "basic"], compared=LAYER4, **AS_BACKBONE))


def _timm_xception(depth: int) -> None:
    def build(_root: Optional[str]) -> nn.Module:
        import timm

        return timm.create_model(f"xception{depth}", pretrained=False)

    register_parity_reference(ParityReference(
        name=f"timm_xception{depth}", converter=f"timm_xception{depth}",
        reference=f"timm.create_model('xception{depth}') (the network of xception{depth}.tf_in1k)",
        requires=Requirement(modules=("timm",), install="pip install timm"), build=build,
        logits=lambda model, images: model.forward_features(normalized(images, (127.5,) * 3, (127.5,) * 3)),
        opts=["MODEL.BACKBONE.NAME", "build_xception_backbone", "MODEL.XCEPTION.DEPTH", depth,
              "MODEL.XCEPTION.OUTPUT_STRIDE", 32, "MODEL.XCEPTION.OUT_FEATURES", "['res5']",
              "MODEL.PIXEL_MEAN", "[127.5, 127.5, 127.5]", "MODEL.PIXEL_STD", "[127.5, 127.5, 127.5]"],
        compared="our backbone's res5 against timm's forward_features (the exit flow)", **AS_BACKBONE))


for _depth in (41, 65, 71):
    _timm_xception(_depth)


def _torchvision_fc7(bgr_caffe: bool):
    """torchvision's VGG16 up to fc7's ReLU as a 1x1 map; on Caffe's input (BGR 0..255 minus the mean) for
    ``bgr_caffe``, as wkentaro/pytorch-fcn runs its vgg16_from_caffe.pth."""

    def logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
        x = normalized(images.flip(1), CAFFE_MEAN_BGR, (1.0,) * 3) if bgr_caffe else normalized(images)
        return model.classifier[:5](torch.flatten(model.avgpool(model.features(x)), 1))[:, :, None, None]

    return logits


CAFFE_MEAN_BGR = (104.00699, 116.66877, 122.67892)
VGG_FC7 = ["MODEL.BACKBONE.NAME", "build_vgg_backbone", "MODEL.VGG.FC_AS_CONV", True,
           "MODEL.VGG.OUT_FEATURES", "['fc7']", "MODEL.HEAD.IN_FEATURES", "['fc7']"]
# pool5 is 7 x 7 for sides 224..255, where fc6 as a 7x7 convolution is torchvision's Linear on the flattened map.
VGG_SIZES = ((224, 224), (239, 231))
for _name, _caffe in (("torchvision_vgg", False), ("torchvision_vgg_caffe_bgr", True)):
    register_parity_reference(ParityReference(
        name=_name, converter=_name,
        reference="torchvision.models.vgg16()" + (" on BGR 0..255 minus the Caffe mean (wkentaro/pytorch-fcn's "
                                                  "vgg16_from_caffe.pth)" if _caffe else ""),
        requires=TORCHVISION, build=lambda _root: __import__("torchvision").models.vgg16(), logits=_torchvision_fc7(_caffe),
        recipe=BASE, scope="backbone.", ours=backbone_output("fc7"), sizes=VGG_SIZES,
        opts=VGG_FC7 + (["MODEL.PIXEL_MEAN", str(list(CAFFE_MEAN_BGR[::-1])), "MODEL.PIXEL_STD", "[1.0, 1.0, 1.0]"]
                        if _caffe else []),
        compared="our backbone's fc7 (convolutions) against torchvision's classifier up to fc7's ReLU, at sizes "
                 "whose pool5 is 7 x 7"))

register_parity_reference(ParityReference(
    name="mmseg_jpu", converter="mmseg_jpu", reference="mmsegmentation's JPU neck",
    checked_against="the checks of the mmsegmentation FastFCN converters, whose references (mmsegmentation's FastFCN "
                    "models) contain this JPU and whose keys under neck. go through this layout (see --list: "
                    "the converters that reuse mmseg_jpu)"))


# Swin and ConvNeXt: layer scales and relative position bias tables start constant or tiny (1e-6, 1.0, std 0.02), where
# a table or a scale loaded into the wrong block changes little; they get U(0.5, 1.5) and N(0, 1) values.
LAYER_SCALES = ("gamma", "layer_scale_parameter")


def randomize_scales_and_bias_tables(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random layer scales (U(0.5, 1.5)) and Swin relative position bias tables (N(0, 1)) of ``model``; returns it."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if leaf in LAYER_SCALES:
                p.copy_(torch.rand(p.shape, generator=generator) + 0.5)
            elif leaf == "relative_position_bias_table":
                p.copy_(torch.randn(p.shape, generator=generator))
    return model


def our_stage_before_norm(module: str, channels_last: bool) -> Callable[[nn.Module, torch.Tensor], torch.Tensor]:
    """Our side for an ImageNet layout that gives no output norm (they keep their initialisation): the output of our
    backbone's last stage ``module`` (``layers.3``, ``stages.3``) before that norm, N x C x H x W."""

    def run(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
        out = module_output(model.backbone, module, (images - model.pixel_mean) / model.pixel_std)
        return out.permute(0, 3, 1, 2) if channels_last else out

    run.__doc__ = f"our backbone's {module} before its output norm"
    return run


SWIN_T = ["MODEL.BACKBONE.NAME", "build_swin_backbone", "MODEL.SWIN.OUT_FEATURES", "['res5']"]
CONVNEXT_T = ["MODEL.BACKBONE.NAME", "build_convnext_backbone", "MODEL.CONVNEXT.OUT_FEATURES", "['res5']"]
# The layouts leave the output norms at their initialisation: every other key of the backbone must come from the file.
SWIN_TRUNK = dict(recipe=BASE, opts=SWIN_T, scope=("backbone.patch_embed.", "backbone.layers."),
                  ours=our_stage_before_norm("layers.3", channels_last=True),
                  compared="our backbone's last stage (layers.3) before its output norm against the reference's")
CONVNEXT_TRUNK = dict(recipe=BASE, opts=CONVNEXT_T, scope=("backbone.downsample_layers.", "backbone.stages."),
                      ours=our_stage_before_norm("stages.3", channels_last=False),
                      compared="our backbone's last stage (stages.3) before its output norm against the reference's")
TIMM = Requirement(modules=("timm",), install="pip install timm")


def _timm_swin(_root: Optional[str]) -> nn.Module:
    import timm

    return randomize_scales_and_bias_tables(timm.create_model(
        "swin_tiny_patch4_window7_224", pretrained=False, strict_img_size=False, dynamic_img_size=True,
        always_partition=True))


def _timm_swin_last_stage(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    return model.layers(model.patch_embed(normalized(images))).permute(0, 3, 1, 2)


def _timm_convnext(_root: Optional[str]) -> nn.Module:
    import timm

    return randomize_scales_and_bias_tables(timm.create_model("convnext_tiny", pretrained=False))


register_parity_reference(ParityReference(
    name="timm_swin", converter="timm_swin",
    reference="timm.create_model('swin_tiny_patch4_window7_224', strict_img_size=False, dynamic_img_size=True, "
              "always_partition=True) (the network of swin_tiny_patch4_window7_224.ms_in1k, windows of 7 at any size)",
    requires=TIMM, build=_timm_swin, logits=_timm_swin_last_stage, sizes=((224, 448), (448, 448)),
    notes="sizes are multiples of 224, where no stage pads its windows: timm's dynamic-size Swin pads them otherwise "
          "than the authors' code, which ours follows (mmsegmentation's, transformers' and the authors' Swin UPerNets "
          "agree with ours at 97x65); at 100x68 and 128x96 timm's is 0.6 of the largest value apart",
    **SWIN_TRUNK))
register_parity_reference(ParityReference(
    name="timm_convnext", converter="timm_convnext",
    reference="timm.create_model('convnext_tiny') (the network of convnext_tiny.fb_in1k)",
    requires=TIMM, build=_timm_convnext, logits=lambda model, images: model.forward_features(normalized(images)),
    **CONVNEXT_TRUNK))


def without_mmpretrain_multimodal() -> None:
    """mmpretrain 1.2 enables its BLIP/CLIP models when transformers is installed, and their import fails under
    transformers 5 (``import mmpretrain.models``, which mmsegmentation's ConvNeXt configs need); ConvNeXt needs none."""
    try:
        import mmpretrain.utils.dependency as dependency
    except ImportError:
        return
    dependency.WITH_MULTIMODAL = False


def _mmseg_swin(_root: Optional[str]) -> nn.Module:
    import_mmseg()
    from mmseg.registry import MODELS

    backbone = MODELS.build(dict(type="SwinTransformer", embed_dims=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24],
                                 window_size=7, out_indices=(3,)))
    quiet_init_weights(backbone)
    return randomize_scales_and_bias_tables(backbone)


def _mmseg_swin_last_stage(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Its stage 3's output before the output norm (the stage returns the tokens and their map's size)."""
    _, _, tokens, (h, w) = module_output(model, "stages.3", normalized(images))
    return tokens.view(tokens.shape[0], h, w, -1).permute(0, 3, 1, 2)


def _without_output_norms(model: nn.Module) -> Dict[str, Any]:
    """The backbone's trunk, which swin2mmseg writes from the authors' file (the ImageNet file has no output norms)."""
    return {k: v for k, v in model.state_dict().items() if not re.match(r"norm\d\.", k)}


register_parity_reference(ParityReference(
    name="mmseg_swin_imagenet", converter="mmseg_swin_imagenet",
    reference="mmsegmentation's SwinTransformer(embed_dims=96, depths=[2, 2, 6, 2]) (the network of "
              "pretrain/swin/swin_tiny_patch4_window7_224_20220317-1cdeb081.pth)",
    requires=Requirement(modules=("mmseg",), install=MMSEG_INSTALL), build=_mmseg_swin,
    logits=_mmseg_swin_last_stage, checkpoint=_without_output_norms, **SWIN_TRUNK))


class _Classifier(nn.Module):
    """mmpretrain's ImageClassifier as its checkpoint holds it: ``backbone`` and ``head.fc``."""

    def __init__(self, backbone: nn.Module, channels: int, classes: int = 1000) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Module()
        self.head.fc = nn.Linear(channels, classes)


def _mmpretrain_convnext(_root: Optional[str]) -> nn.Module:
    import_mmseg()  # mmcv.ops stubbed, so mmpretrain's models import on mmcv-lite
    without_mmpretrain_multimodal()
    from mmpretrain.models import ConvNeXt

    # gap_before_final_norm=False: norm3 on the map (as mmsegmentation uses it), the same parameters as the classifier's
    backbone = ConvNeXt(arch="tiny", out_indices=(3,), gap_before_final_norm=False)
    backbone.init_weights()
    return randomize_scales_and_bias_tables(_Classifier(backbone, 768))


register_parity_reference(ParityReference(
    name="mmpretrain_convnext_imagenet", converter="mmpretrain_convnext_imagenet",
    reference="mmpretrain's ConvNeXt(arch='tiny') in an ImageClassifier's keys (the network of "
              "convnext-tiny_3rdparty_32xb128-noema_in1k_20220301-795e9634.pth)",
    requires=Requirement(modules=("mmseg", "mmpretrain"), install=MMSEG_INSTALL + " mmpretrain"),
    build=_mmpretrain_convnext, logits=lambda model, images: model.backbone(normalized(images))[-1],
    checkpoint=mmseg_checkpoint, recipe=BASE, opts=CONVNEXT_T, scope="backbone.", ours=backbone_output("res5"),
    compared="our backbone's res5 (its norm3 from the file) against the reference's stage 3 and norm3"))


CONVNEXT_REPOSITORY = "facebookresearch/ConvNeXt"


def _authors_convnext(root: Optional[str]) -> nn.Module:
    """models/convnext.py's convnext_tiny(); its @register_model would replace timm's own convnext_tiny, so timm's
    registry decorator is a no-op while the file imports."""
    import timm.models.registry as registry

    original = registry.register_model
    registry.register_model = lambda fn: fn
    try:
        module = import_from_checkout(root, "models.convnext")
    finally:
        registry.register_model = original
    return randomize_scales_and_bias_tables(module.convnext_tiny(pretrained=False))


register_parity_reference(ParityReference(
    name="convnext_imagenet", converter="convnext_imagenet",
    reference="facebookresearch/ConvNeXt models.convnext.convnext_tiny() (the network of convnext_tiny_1k_224.pth)",
    requires=Requirement(repository=CONVNEXT_REPOSITORY, marker="models/convnext.py"), build=_authors_convnext,
    logits=lambda model, images: module_output(model, "stages.3", normalized(images)),
    checkpoint=lambda model: {"model": model.state_dict()}, notes="needs timm, which its file imports",
    **CONVNEXT_TRUNK))

register_parity_reference(ParityReference(
    name="swin_imagenet", converter="swin_imagenet",
    reference="the authors' ImageNet Swin (microsoft/Swin-Transformer)",
    checked_against="the checks of the layouts of the authors' trained Swin segmentation models, which reuse this "
                    "one for their keys under backbone. (their backbone is the authors' ImageNet network; --list "
                    "shows them); microsoft/Swin-Transformer is not among the references run here"))
