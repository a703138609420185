"""LinkNet as model.lua: torchvision's ResNet-18 as the encoder, the decoder's strides, the sum and its ReLU."""
import os
import sys

import pytest
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_test_helpers import build  # noqa: E402

from seg_engine_projects.unet.class_weights import linknet_class_weights  # noqa: E402


def test_encoder_is_torchvisions_resnet18_and_the_decoder_is_model_lua():
    model = build("Base-LinkNet-paper.yaml", "MODEL.NUM_CLASSES", 12, device="meta")
    tv = {k: v.shape for k, v in torchvision.models.resnet18().state_dict().items() if not k.startswith("fc.")}
    ours = {k[len("backbone."):]: v.shape for k, v in model.state_dict().items() if k.startswith("backbone.")}
    assert ours == tv
    blocks = model.decoder.blocks
    # (in, m/4, out, stride) of dec4, dec3, dec2, dec1
    got = [(b.convs[0][0].in_channels, b.convs[1][0].out_channels, b.convs[2][0].out_channels, b.convs[1][0].stride[0])
           for b in blocks]
    assert got == [(512, 128, 256, 2), (256, 64, 128, 2), (128, 32, 64, 2), (64, 16, 64, 1)]
    assert all(b.convs[i][0].bias is not None for b in blocks for i in range(3))
    assert all(b.convs[0][1].eps == 1e-3 for b in blocks)
    head = model.decode_head
    assert (head.up[0].kernel_size, head.up[0].output_padding, head.up[1].eps) == ((3, 3), (1, 1), 1e-5)
    assert (head.classifier.kernel_size, head.classifier.stride, head.classifier.out_channels) == ((2, 2), (2, 2), 12)


@pytest.mark.parametrize("recipe, relu", [("Base-LinkNet-paper.yaml", True), ("Base-LinkNet-smp.yaml", False)])
def test_skip_sum_and_relu(recipe, relu):
    torch.manual_seed(0)
    model = build(recipe, "MODEL.NUM_CLASSES", 3, "MODEL.RESNETS.BASE_WIDTH", 4, "MODEL.HEAD.CHANNELS", 4).eval()
    block = model.decoder.blocks[0]
    x, skip = torch.randn(1, 32, 3, 4), torch.randn(1, 16, 6, 8)
    with torch.no_grad():
        expected = block.convs(x) + skip
        got = block(x, skip)
    assert torch.allclose(got, expected.relu() if relu else expected)


def test_class_weights_are_model_luas():
    w = linknet_class_weights([100, 50, 0])
    assert w == pytest.approx([1 / torch.log(torch.tensor(2.02)).item(), 1 / torch.log(torch.tensor(1.52)).item(),
                               1 / torch.log(torch.tensor(1.02)).item()])
    with pytest.raises(ValueError, match="class histogram"):
        linknet_class_weights([0, 0])
