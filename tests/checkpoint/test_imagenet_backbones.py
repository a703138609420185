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
