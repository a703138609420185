"""The config keys of the U-shaped models: MODEL.UNET (the U-Net's switches, shared by its encoder and decoder),
MODEL.UNET_HEAD, MODEL.UNET_ENCODER (the paper's own encoder), MODEL.UNETPP (UNet++) and MODEL.LINKNET, and the
names that older configs used."""
from seg_engine.config import CfgNode, register_config, register_renamed_key, register_renamed_value


@register_config
def add_unet_config(cfg: CfgNode) -> None:
    """Add MODEL.UNET, MODEL.UNET_ENCODER, MODEL.UNETPP and MODEL.LINKNET."""
    cfg.MODEL.UNET = CfgNode()
    # Backbone features the decoder joins, shallow to deep; the last is the bottom of the U.
    cfg.MODEL.UNET.IN_FEATURES = ["enc0", "enc1", "enc2", "enc3", "enc4"]
    # Output channels of each decoder block, deep to shallow; () gives each block its skip's channels
    # (the paper). Blocks beyond the skips have none and double the resolution (smp: 5 blocks, the
    # last at full resolution).
    cfg.MODEL.UNET.DECODER_CHANNELS = []
    # 3x3 convs (with NORM and ReLU) per decoder block.
    cfg.MODEL.UNET.NUM_CONVS = 2
    # Width of a decoder block's first conv: "out" (the block's output width) or "half_input" (half of the
    # concatenated channels: milesial's DoubleConv with bilinear=True).
    cfg.MODEL.UNET.MID_CHANNELS = "out"
    # "" (the paper), "BN" (milesial, smp, mmseg), or any seg_engine norm name.
    cfg.MODEL.UNET.NORM = "BN"
    # "same": padded convs (every modern implementation); "valid": the paper's unpadded convs with
    # centre-cropped skips, the input mirror-padded at the borders (overlap-tile).
    cfg.MODEL.UNET.PADDING = "same"
    # "transpose" (2x2 up-convolution halving the channels: the paper, milesial), "bilinear" (x2 then a
    # 1x1 conv-norm-ReLU: mmseg's InterpConv), "nearest" (resize to the skip, channels kept: smp).
    cfg.MODEL.UNET.UPSAMPLE = "transpose"
    # Order of the concatenation: "skip_first" (paper, milesial, mmseg) or "up_first" (smp).
    cfg.MODEL.UNET.FUSE = "skip_first"
    # Overlap-tile inference with PADDING "valid": output tiles of this (h, w) with their context read
    # from the mirror-padded image; (0, 0): one tile covering the image.
    cfg.MODEL.UNET.TILE_SIZE = (0, 0)

    # UNetClassifierHead: the kernel of its conv, 1 (paper, milesial) or 3 (smp's SegmentationHead).
    cfg.MODEL.UNET_HEAD = CfgNode()
    cfg.MODEL.UNET_HEAD.KERNEL_SIZE = 1

    # The paper's contracting path (backbone "build_unet_encoder"): per level NUM_CONVS 3x3 convs, then a
    # 2x2 max pool; features enc0 (stride 1) .. enc<n-1>.
    cfg.MODEL.UNET_ENCODER = CfgNode()
    cfg.MODEL.UNET_ENCODER.WIDTHS = [64, 128, 256, 512, 1024]
    cfg.MODEL.UNET_ENCODER.NUM_CONVS = 2
    cfg.MODEL.UNET_ENCODER.IN_CHANNELS = 3
    # Dropout before the bottom level's pool output (the paper: 0.5 at the end of the contracting path).
    cfg.MODEL.UNET_ENCODER.DROPOUT = 0.0

    # UNet++ (the NestedDecoder neck, and the meta-architecture "UNetPlusPlus" for deep supervision); the decoder
    # reads MODEL.UNET's IN_FEATURES, DECODER_CHANNELS, NUM_CONVS and NORM (its up-sampling is nearest).
    cfg.MODEL.UNETPP = CfgNode()
    # Node widths: "smp" (a level's last node has the decoder width, the others the encoder's) or
    # "paper" (every node of a level has the decoder width, the authors' Keras Xnet).
    cfg.MODEL.UNETPP.WIDTHS = "smp"
    # "none": one head after the last node (and smp's skip-less block); "accurate": 1x1 heads on
    # X(0, 1..D), trained together, their logits averaged at test time; "fast": the same training, the
    # test uses head PRUNE_COLUMN only and computes only the columns up to it (the pruned network).
    cfg.MODEL.UNETPP.DEEP_SUPERVISION = "none"
    cfg.MODEL.UNETPP.PRUNE_COLUMN = 4

    # LinkNet (the LinkNetDecoder neck): decoder blocks of 1x1 m -> m/4, a transposed conv, 1x1 -> n,
    # each with norm and ReLU, added to the encoder feature they lead to.
    cfg.MODEL.LINKNET = CfgNode()
    # Backbone features, shallow to deep: block i's output is added to feature i. The authors add to
    # the input of each encoder block: ["stem", "res2", "res3", "res4", "res5"] (stem = after the max
    # pool, so the first block keeps the resolution); smp: ["conv1", "res2", "res3", "res4", "res5"].
    cfg.MODEL.LINKNET.IN_FEATURES = ["stem", "res2", "res3", "res4", "res5"]
    # Widths of blocks without a skip after the last skip (smp: [32], up to full resolution).
    cfg.MODEL.LINKNET.FINAL_CHANNELS = []
    # The transposed conv: 3 (3x3, padding 1, output padding 1: the authors' full convolution) or 4 (smp).
    cfg.MODEL.LINKNET.UPCONV_KERNEL = 3
    # Bias of the 1x1 convs (Torch's convs have one, smp's do not).
    cfg.MODEL.LINKNET.CONV_BIAS = True
    # ReLU after adding the skip (the authors' bypass2dec; smp has none).
    cfg.MODEL.LINKNET.RELU_AFTER_ADD = True
    cfg.MODEL.LINKNET.NORM = "BN"
    # BatchNorm epsilon of the decoder and the LinkNetHead (model.lua: 1e-3; smp: 1e-5).
    cfg.MODEL.LINKNET.NORM_EPS = 1e-3


def _padded(file) -> bool:
    """MODEL.UNET.PAD_INPUT, which was True unless a file said otherwise."""
    return file.get("MODEL.UNET.PAD_INPUT", True)


def _unet(file):
    valid = file.get("MODEL.UNET.PADDING") == "valid"
    return {"MODEL.META_ARCHITECTURE": "OverlapTileUNet" if valid else "EncoderDecoder",
            "MODEL.NECK.NAME": "UNetDecoder", "MODEL.PAD_INPUT": _padded(file)}


def _linknet(file):
    return {"MODEL.META_ARCHITECTURE": "EncoderDecoder", "MODEL.NECK.NAME": "LinkNetDecoder",
            "MODEL.PAD_INPUT": _padded(file)}


def _unetplusplus(file):
    """Only a file that configures UNet++ without a neck is of an earlier version."""
    if "MODEL.NECK.NAME" in file or not any(k.startswith("MODEL.UNET.") for k in file):
        return None
    return {"MODEL.META_ARCHITECTURE": "UNetPlusPlus", "MODEL.NECK.NAME": "NestedDecoder",
            "MODEL.PAD_INPUT": _padded(file)}


NECK = "the decoder is a neck (MODEL.NECK.NAME) and any-size input a switch of every model (MODEL.PAD_INPUT)"
register_renamed_value("MODEL.META_ARCHITECTURE", "UNet", _unet, NECK)
register_renamed_value("MODEL.META_ARCHITECTURE", "LinkNet", _linknet, NECK)
register_renamed_value("MODEL.META_ARCHITECTURE", "UNetPlusPlus", _unetplusplus, NECK)
register_renamed_key("MODEL.UNET.PAD_INPUT", lambda pad, _: {"MODEL.PAD_INPUT": pad}, NECK)
register_renamed_key("MODEL.UNET.HEAD_KERNEL_SIZE", lambda k, _: {"MODEL.UNET_HEAD.KERNEL_SIZE": k},
                     "the head's own node")
