import pytest

from seg_engine.checkpoint import convert_weights


@pytest.mark.parametrize(
    "layout, source, expected",
    [
        ("semseg_resnet_imagenet", ["conv1.weight", "bn3.bias", "layer1.0.conv1.weight", "fc.weight"],
         ["backbone.bn3.bias", "backbone.conv1.weight", "backbone.layer1.0.conv1.weight"]),
        ("mmseg_resnet_v1c", ["stem.0.weight", "stem.7.running_mean", "layer4.2.bn3.weight", "fc.bias"],
         ["backbone.bn3.running_mean", "backbone.conv1.weight", "backbone.layer4.2.bn3.weight"]),
        ("pytorch_encoding_resnet", ["conv1.0.weight", "conv1.4.bias", "conv1.6.weight", "bn1.weight", "fc.weight"],
         ["backbone.bn2.bias", "backbone.bn3.weight", "backbone.conv1.weight", "backbone.conv3.weight"]),
        ("pytorch_encoding_resnet", ["conv1.weight", "bn1.weight", "layer2.1.conv2.weight"],
         ["backbone.bn1.weight", "backbone.conv1.weight", "backbone.layer2.1.conv2.weight"]),
    ],
)
def test_imagenet_layouts_map_to_the_backbone_and_drop_the_classifier(layout, source, expected):
    assert sorted(convert_weights({k: 0 for k in source}, layout)) == expected


def test_a_key_of_another_layout_is_refused():
    with pytest.raises(KeyError, match="stem.0.weight"):
        convert_weights({"stem.0.weight": 0}, "semseg_resnet_imagenet")


@pytest.mark.parametrize("depth", [18, 50])
def test_mmseg_resnet_of_the_rb_models_maps_onto_the_basic_stem(depth):
    """mmseg's ``ResNet`` (its r18b/r50b/r101b models) has torchvision's names and shapes (checked against
    mmsegmentation 1.2.2 outside the repository); through mmseg_resnet_v1c it fills every backbone key of the core
    ResNet with MODEL.RESNETS.STEM basic."""
    import torch
    import torchvision

    from seg_engine.config import get_cfg
    from seg_engine.utils.testing import build_on_meta, state_shapes

    with torch.device("meta"):
        theirs = getattr(torchvision.models, f"resnet{depth}")().state_dict()
    converted = {k: tuple(v.shape) for k, v in convert_weights({f"backbone.{k}": v for k, v in theirs.items()},
                                                                 "mmseg_resnet_v1c").items()}
    cfg = get_cfg()
    cfg.merge_from_list(["MODEL.RESNETS.DEPTH", depth, "MODEL.RESNETS.STEM", "basic", "MODEL.RESNETS.STEM_WIDTH", 0])
    ours = {k: s for k, s in state_shapes(build_on_meta(cfg)).items() if k.startswith("backbone.")}
    assert converted == ours and len(ours) == {18: 120, 50: 318}[depth]  # torchvision's fc dropped
