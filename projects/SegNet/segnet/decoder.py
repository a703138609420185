"""SegNetDecoder: the mirror of the VGG encoder, max-unpooling at the encoder's argmax indices."""
from __future__ import annotations

from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from seg_engine.modeling import HEAD_REGISTRY, ShapeSpec
from seg_engine.modeling.backbone.vgg import VGG_BLOCKS
from seg_engine.modeling.layers import ConvNormAct

# The shift filler of every BN in segnet_train.prototxt (its scale filler is 1).
BN_SHIFT_INIT = 0.001


def max_unpool(x: torch.Tensor, indices: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Caffe-SegNet's ``Upsample`` with a mask: each value of ``x`` goes back to the position its 2x2
    max pool took it from, in a zero map of the exact pre-pool ``size`` (which ceil-mode pooling of
    odd sizes leaves ambiguous, so it is passed explicitly). The size is made of ints so the model also
    traces (fvcore's FLOP counter, TorchScript export), where shapes are tensors."""
    return F.max_unpool2d(x, indices, kernel_size=2, stride=2, output_size=tuple(int(s) for s in size))


def decoder_layer_table(
    num_convs: Tuple[int, ...], widths: Tuple[int, ...], num_classes: int
) -> List[Tuple[int, str, int, int]]:
    """(block, name, in channels, out channels) of every decoder conv in forward order, named as in
    ``segnet_train.prototxt``: block K's convs ``convK_n_D`` .. ``convK_1_D``; each keeps block K's
    width except ``convK_1_D``, which narrows to block K-1's (``conv1_1_D``: to the classes)."""
    table = []
    for block in range(len(num_convs), 0, -1):
        width = widths[block - 1]
        for j in range(num_convs[block - 1], 0, -1):
            out = width if j > 1 else (widths[block - 2] if block > 1 else num_classes)
            table.append((block, f"conv{block}_{j}_D", width, out))
    return table


@HEAD_REGISTRY.register()
class SegNetDecoder(nn.Module):
    """SegNet's decoder (Badrinarayanan et al., TPAMI 2017; ``segnet_train.prototxt``).

    Reads ``pool5`` and, for every block K, ``poolK_indices`` and ``convK`` (the map pool K read, for
    its size) from the VGG backbone (MODEL.VGG.RETURN_INDICES True, OUT_FEATURES conv1..conv5 and
    pool5). It requires the VGG backbone, whose depth it mirrors. Per block, deepest first: unpool, then 3x3 convs (bias, MODEL.HEAD.NORM, ReLU) mirroring the
    encoder's; the last conv, ``conv1_1_D``, gives the logits with no norm or ReLU, at the input size.
    """

    requires_backbone = "build_vgg_backbone"
    reads_one_map = True

    def __init__(
        self, input_shape: Dict[str, ShapeSpec], in_feature: str, num_classes: int,
        num_convs: Tuple[int, ...] = VGG_BLOCKS[16], norm: str = "BN",
    ) -> None:
        """``num_convs``: the encoder's convs per block, which the decoder mirrors."""
        super().__init__()
        needed = [f"conv{k}" for k in range(1, len(num_convs) + 1)]
        missing = [name for name in needed if name not in input_shape]
        if missing:
            raise ValueError(
                f"SegNetDecoder unpools to the size of every block: MODEL.VGG.OUT_FEATURES must include {missing}"
            )
        self.in_feature = in_feature
        widths = tuple(input_shape[name].channels for name in needed)
        self.blocks: List[Tuple[int, List[str]]] = []
        for block, name, cin, cout in decoder_layer_table(num_convs, widths, num_classes):
            if not self.blocks or self.blocks[-1][0] != block:
                self.blocks.append((block, []))
            self.blocks[-1][1].append(name)
            if name == "conv1_1_D":
                layer = nn.Conv2d(cin, cout, 3, padding=1)
            else:
                layer = ConvNormAct(cin, cout, 3, norm=norm, bias=True)
            self.add_module(name, layer)
        self._init_weights()

    @classmethod
    def from_config(cls, cfg, head_cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        """The head node (IN_FEATURES ["pool5"], NORM) and the depth of the VGG encoder it requires and mirrors."""
        if not cfg.MODEL.VGG.RETURN_INDICES:
            raise ValueError("SegNetDecoder unpools at the pooling indices: set MODEL.VGG.RETURN_INDICES True")
        return dict(input_shape=input_shape, in_feature=head_cfg.IN_FEATURES[0], num_classes=cfg.MODEL.NUM_CLASSES,
                    num_convs=VGG_BLOCKS[cfg.MODEL.VGG.DEPTH], norm=head_cfg.NORM)

    def _init_weights(self) -> None:
        """The prototxt's fillers: convs "msra" (He, fan in), biases 0, BN scale 1 and shift 0.001."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                nn.init.ones_(m.weight)
                nn.init.constant_(m.bias, BN_SHIFT_INIT)

    def forward(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        x = features[self.in_feature]
        for block, names in self.blocks:
            x = max_unpool(x, features[f"pool{block}_indices"], features[f"conv{block}"].shape[-2:])
            for name in names:
                x = getattr(self, name)(x)
        return x
