"""The one default config tree. Every key a recipe may set is declared here (or by a plugin)."""
from fvcore.common.config import CfgNode as _FvCfgNode

_C = _FvCfgNode()
_C.VERSION = 1

# ---------------------------------------------------------------------------- model
_C.MODEL = _FvCfgNode()
_C.MODEL.META_ARCHITECTURE = "EncoderDecoder"
# "auto" picks cuda when available, else cpu.
_C.MODEL.DEVICE = "auto"
# Weights to initialise from (a path or URL through iopath); training state is not restored.
_C.MODEL.WEIGHTS = ""
# The converter (seg_engine.checkpoint.WEIGHT_CONVERTERS) for MODEL.WEIGHTS in an outside layout,
# e.g. the authors' released checkpoints; "" loads this toolbox's files, raw state dicts and
# backbone-only ImageNet weights as they are.
_C.MODEL.WEIGHTS_FORMAT = ""
_C.MODEL.NUM_CLASSES = 150
_C.MODEL.IGNORE_VALUE = 255
# Mean and std of RGB images in the 0..255 range (ImageNet statistics).
_C.MODEL.PIXEL_MEAN = [123.675, 116.28, 103.53]
_C.MODEL.PIXEL_STD = [58.395, 57.12, 57.375]
# A padded batch has sides that are multiples of this (0: pad to the largest image only).
_C.MODEL.SIZE_DIVISIBILITY = 0
# align_corners of every bilinear resize of logits (True in hszhao/semseg and PyTorch-Encoding).
_C.MODEL.ALIGN_CORNERS = False
# Convert every BatchNorm to SyncBatchNorm when more than one process trains.
_C.MODEL.SYNC_BN = True
# Speed options (docs/training.md, "Speed options"); off by default, results equal within fp32 tolerance.
# Weights and input images in the channels-last memory format (NHWC kernels on GPUs, with AMP).
_C.MODEL.CHANNELS_LAST = False
# torch.compile the network (EncoderDecoder.segment); if compiling fails, one warning and eager mode.
_C.MODEL.COMPILE = False

_C.MODEL.BACKBONE = _FvCfgNode()
_C.MODEL.BACKBONE.NAME = "build_resnet_backbone"
# 0: train everything; 1: freeze the stem; k: the stem and res2..res(k).
_C.MODEL.BACKBONE.FREEZE_AT = 0

_C.MODEL.RESNETS = _FvCfgNode()
_C.MODEL.RESNETS.DEPTH = 50
# "deep": three 3x3 convs (base, base, 2*base) as in hszhao/semseg and PyTorch-Encoding; "basic": torchvision's 7x7.
_C.MODEL.RESNETS.STEM = "deep"
# Channel width of res2's 3x3 convs; 64 is the standard network, smaller makes a narrow one.
_C.MODEL.RESNETS.BASE_WIDTH = 64
# Width of the stem's first convs (0: BASE_WIDTH). The deep stem is (w, w, 2w): 64 in hszhao/semseg and
# PyTorch-Encoding (64, 64, 128); 32 is mmsegmentation's ResNetV1c (32, 32, 64).
_C.MODEL.RESNETS.STEM_WIDTH = 0
# "BN", "SyncBN", "GN", "FrozenBN".
_C.MODEL.RESNETS.NORM = "BN"
_C.MODEL.RESNETS.OUTPUT_STRIDE = 8
# Dilation of the first block of a dilated stage: "full" (hszhao/semseg: every block at the stage's
# dilation) or "half" (PyTorch-Encoding, mmsegmentation: the first block at half of it).
_C.MODEL.RESNETS.FIRST_BLOCK_DILATION = "full"
# Multi-grid of DeepLabv3: one factor per block of res5, each block's dilation being the stage's times
# its factor, e.g. (1, 2, 4) gives res5 dilations (2, 4, 8) at output stride 16. Empty: off.
_C.MODEL.RESNETS.MULTI_GRID = ()
_C.MODEL.RESNETS.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
# Per-stage dilations of layer1..layer4 replacing those OUTPUT_STRIDE implies (empty: implied); strides
# still follow OUTPUT_STRIDE. mmsegmentation's FastFCN backbone: OUTPUT_STRIDE 32 with (1, 1, 2, 4).
_C.MODEL.RESNETS.DILATIONS = []
# A dilated BasicBlock (depth 18, 34) dilates "both" its 3x3 convs (timm, smp) or the "first" only
# (mmsegmentation's ResNetV1c: its r18-d8 models).
_C.MODEL.RESNETS.BASIC_BLOCK_DILATION = "both"

# Any torchvision classifier as the backbone (MODEL.BACKBONE.NAME "build_torchvision_backbone"); its
# ImageNet checkpoint loads through MODEL.WEIGHTS (torchvision's keys go under "backbone.").
_C.MODEL.TORCHVISION = _FvCfgNode()
# A name of torchvision.models.list_models(module=torchvision.models): resnet50, resnext50_32x4d,
# wide_resnet50_2, regnet_y_800mf, convnext_tiny, efficientnet_b0, mobilenet_v3_large, ...
_C.MODEL.TORCHVISION.NAME = "resnet50"
# Stages named by the stride where they end in the undilated network: res2..res5 = 4, 8, 16, 32.
_C.MODEL.TORCHVISION.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
# Graph nodes (torchvision.models.feature_extraction.get_graph_node_names), one per OUT_FEATURES
# entry, replacing the automatic stage ends; empty: automatic (the last layer at each stride).
_C.MODEL.TORCHVISION.RETURN_NODES = []
# 32, or 16/8 by dilation where torchvision supports it (ResNet-50+, ResNeXt, Wide ResNet: 8, 16;
# MobileNetV3: 16).
_C.MODEL.TORCHVISION.OUTPUT_STRIDE = 32

# Any timm model as the backbone (MODEL.BACKBONE.NAME "build_timm_backbone"; needs the [timm] extra).
_C.MODEL.TIMM = _FvCfgNode()
# A name of timm.list_models(), built with features_only=True.
_C.MODEL.TIMM.NAME = "resnet50"
# Features named by their undilated stride: res1..res5 = 2, 4, 8, 16, 32 (timm's out_indices).
_C.MODEL.TIMM.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
# 32, or 16/8 where timm can dilate the model.
_C.MODEL.TIMM.OUTPUT_STRIDE = 32
# A local timm checkpoint loaded by timm (pretrained_cfg_overlay file); "": random weights.
_C.MODEL.TIMM.PRETRAINED_FILE = ""

# The aligned Xception of DeepLabv3+ (build_xception_backbone; timm's xception41/65/71 layout).
_C.MODEL.XCEPTION = _FvCfgNode()
# 41, 65 or 71.
_C.MODEL.XCEPTION.DEPTH = 65
# 8, 16 or 32: strides past it become dilations (DeepLabv3+ trains at 16 and evaluates at 8).
_C.MODEL.XCEPTION.OUTPUT_STRIDE = 16
# Among "stem" (stride 2), "res2" (4, DeepLabv3+'s low-level feature), "res3" (8), "res4" (16), "res5" (2048 ch).
_C.MODEL.XCEPTION.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
# "BN", "SyncBN", "GN", "FrozenBN" (eps 1e-3 as TensorFlow).
_C.MODEL.XCEPTION.NORM = "BN"
# stem..res4 are read inside a strided block, at its 2nd separable conv's pointwise output: "pre_relu"
# (TF DeepLab's decoder input) or "post_relu" (timm features_only).
_C.MODEL.XCEPTION.FEATURE_TAP = "pre_relu"
# Divides every width (1, 2, 4, 8); >1 only makes narrow nets for tests.
_C.MODEL.XCEPTION.WIDTH_DIVISOR = 1

# The Swin Transformer (build_swin_backbone; the authors' segmentation layout; mmseg's and transformers'
# through converters). Swin-T below; S: DEPTHS [2, 2, 18, 2]; B: EMBED_DIM 128, NUM_HEADS [4, 8, 16, 32].
_C.MODEL.SWIN = _FvCfgNode()
_C.MODEL.SWIN.EMBED_DIM = 96
_C.MODEL.SWIN.DEPTHS = [2, 2, 6, 2]
_C.MODEL.SWIN.NUM_HEADS = [3, 6, 12, 24]
_C.MODEL.SWIN.WINDOW_SIZE = 7
_C.MODEL.SWIN.MLP_RATIO = 4.0
_C.MODEL.SWIN.QKV_BIAS = True
_C.MODEL.SWIN.PATCH_SIZE = 4
# A LayerNorm after the patch embedding.
_C.MODEL.SWIN.PATCH_NORM = True
_C.MODEL.SWIN.DROP_RATE = 0.0
_C.MODEL.SWIN.ATTN_DROP_RATE = 0.0
# Stochastic depth, rising linearly from 0 over all blocks to this (0.3 in the UPerNet recipes).
_C.MODEL.SWIN.DROP_PATH_RATE = 0.3
# Among "res2".."res5" (strides 4..32, channels EMBED_DIM x 1, 2, 4, 8), each with its own LayerNorm.
_C.MODEL.SWIN.OUT_FEATURES = ["res2", "res3", "res4", "res5"]

# ConvNeXt (build_convnext_backbone; the authors' segmentation layout). ConvNeXt-T below; S: DEPTHS
# [3, 3, 27, 3]; B: DIMS [128, 256, 512, 1024] with DEPTHS [3, 3, 27, 3].
_C.MODEL.CONVNEXT = _FvCfgNode()
_C.MODEL.CONVNEXT.DEPTHS = [3, 3, 9, 3]
_C.MODEL.CONVNEXT.DIMS = [96, 192, 384, 768]
# Stochastic depth, rising linearly from 0 over all blocks to this (T 0.4, S 0.3, B 0.4 in the UPerNet recipes).
_C.MODEL.CONVNEXT.DROP_PATH_RATE = 0.4
# Initial value of the per-channel layer scale (gamma) of every block; 0: no layer scale. The UPerNet
# recipes use 1.0, ImageNet training 1e-6 (the value only matters when training from scratch).
_C.MODEL.CONVNEXT.LAYER_SCALE_INIT = 1.0
# Among "res2".."res5" (strides 4..32, channels DIMS), each with its own LayerNorm.
_C.MODEL.CONVNEXT.OUT_FEATURES = ["res2", "res3", "res4", "res5"]

# The FPN neck (MODEL.NECK.NAME "FPN"): lateral 1x1 convs, nearest top-down addition, 3x3
# output convs; adds p2..p5 (named by stride) to the backbone's maps. Needs OUTPUT_STRIDE 32.
_C.MODEL.FPN = _FvCfgNode()
# Backbone maps, shallowest to deepest, each at twice the stride of the one before.
_C.MODEL.FPN.IN_FEATURES = ["res2", "res3", "res4", "res5"]
# Channels of every pyramid level.
_C.MODEL.FPN.OUT_CHANNELS = 256
# Norm after the lateral and output convs; "" (mmsegmentation, detectron2, smp) gives convs with bias.
_C.MODEL.FPN.NORM = ""
# The 3x3 output convs (False: smp's FPN, whose levels are the top-down sums, P5 the 1x1 conv of C5).
_C.MODEL.FPN.OUTPUT_CONVS = True
# "sum" or "avg" (detectron2: the lateral plus the up-sampled level above, halved).
_C.MODEL.FPN.FUSE_TYPE = "sum"
# VGG (MODEL.BACKBONE.NAME "build_vgg_backbone"), in torchvision's layout (features.N.*).
_C.MODEL.VGG = _FvCfgNode()
# 11, 13, 16 or 19.
_C.MODEL.VGG.DEPTH = 16
# "" (torchvision's vggN) or a norm after every conv: "BN" (vggN_bn), "SyncBN", "GN", "FrozenBN".
_C.MODEL.VGG.NORM = ""
# Channels of block 1; blocks have 1, 2, 4, 8, 8 times it (64: the standard nets).
_C.MODEL.VGG.BASE_WIDTH = 64
# Round pooled sizes up as Caffe does (FCN, SegNet); torchvision rounds down.
_C.MODEL.VGG.CEIL_MODE = False
# Every pool also returns its argmax as "poolK_indices" (for max-unpooling decoders such as SegNet's).
_C.MODEL.VGG.RETURN_INDICES = False
# Padding of the first conv (conv1_1): 1, or 100 in the FCN Caffe nets.
_C.MODEL.VGG.FIRST_PADDING = 1
# fc6 (7x7 conv, no padding) and fc7 (1x1 conv) after pool5, each + ReLU + Dropout, initialised from
# torchvision's classifier.0/classifier.3 by the torchvision_vgg converter; their output is "fc7".
_C.MODEL.VGG.FC_AS_CONV = False
_C.MODEL.VGG.FC_CHANNELS = 4096
_C.MODEL.VGG.FC_DROPOUT = 0.5
# Among "conv1".."conv5" (block K's last ReLU, the map pool K reads), "pool1".."pool5" and "fc7".
_C.MODEL.VGG.OUT_FEATURES = ["pool5"]



def head_node(**overrides) -> _FvCfgNode:
    """A head's config node: the keys every head reads (a head's own switches live in its type's node, e.g.
    the pyramid pooling head's bins). Projects add auxiliary heads as ``cfg.MODEL.<NODE> = CfgNode(head_node(...))``
    (seg_engine.config's CfgNode: a YAML merge refuses fvcore's class there) and list them in MODEL.AUX_HEADS."""
    node = _FvCfgNode()
    # A name of HEAD_REGISTRY.
    node.NAME = "FCNHead"
    # The maps it reads: the backbone's, or the neck's when there is one.
    node.IN_FEATURES = ["res5"]
    node.CHANNELS = 512
    node.NUM_CONVS = 1
    node.NORM = "BN"
    node.DROPOUT = 0.1
    # FCNHead: a 3x3 conv over [input, convs' output] before the classifier (mmsegmentation's concat_input).
    node.CONCAT_INPUT = False
    # FCNHead: the dilation of its NUM_CONVS 3x3 convs (mmsegmentation's fcn-d6 models: 6; the concat conv keeps 1).
    node.DILATION = 1
    # Its loss is multiplied by this (the decode head's output is "sem_seg", an auxiliary head's its node's name).
    node.LOSS_WEIGHT = 1.0
    for key, value in overrides.items():
        setattr(node, key, value)
    return node


# The decode head: its logits are the model's prediction.
_C.MODEL.HEAD = head_node()
# Auxiliary heads, trained with the decode head and dropped at inference: the names of head nodes under MODEL,
# e.g. ["AUX_HEAD"]. A node AUX_HEAD becomes the module ``aux_head`` and the output and loss ``aux``
# (``loss_aux``); AUX_HEAD2 becomes ``aux_head2`` and ``aux2``.
_C.MODEL.AUX_HEADS = []
_C.MODEL.AUX_HEAD = head_node(IN_FEATURES=["res4"], CHANNELS=256, LOSS_WEIGHT=0.4)

# A neck between the backbone and the heads (a name of NECK_REGISTRY: "JPU", "FPN", ...; "": none). The heads
# read its outputs, which pass the backbone's maps through where the neck does not replace them.
_C.MODEL.NECK = _FvCfgNode()
_C.MODEL.NECK.NAME = ""
# Joint Pyramid Upsampling (FastFCN; MODEL.NECK.NAME "JPU"): output-stride-8 features from an output-stride-32
# backbone. The deepest of IN_FEATURES is replaced by the JPU's output, at the shallowest one's stride.
_C.MODEL.JPU = _FvCfgNode()
_C.MODEL.JPU.IN_FEATURES = ["res3", "res4", "res5"]
# Channels of each input conv and each dilated branch (the output has len(DILATIONS) times as many).
_C.MODEL.JPU.WIDTH = 512
_C.MODEL.JPU.DILATIONS = (1, 2, 4, 8)
_C.MODEL.JPU.NORM = "BN"

# Any-size input: pad each batch (bottom/right) inside the model to a multiple of the backbone's deepest stride,
# bring every output to that size and crop it back, so any H x W gives logits of H x W (the U-shaped nets, whose
# decoders need sides divisible by their depth). False: logits at their own stride, resized by the engine.
_C.MODEL.PAD_INPUT = False

# The losses of every output the model trains (the decode head's and each auxiliary head's), docs/training.md "Losses".
_C.MODEL.LOSS = _FvCfgNode()
# Names of LOSS_REGISTRY (seg_engine.modeling.losses): CrossEntropy, Dice, Focal, Lovasz, Tversky, OHEMCrossEntropy.
# An output's loss is the sum of each loss times its entry of WEIGHTS (same length); with several, each term is
# logged as loss_<output>_<loss>, e.g. loss_sem_seg_dice.
_C.MODEL.LOSS.NAMES = ["CrossEntropy"]
_C.MODEL.LOSS.WEIGHTS = [1.0]
# One weight per class (e.g. SegNet's median-frequency weights); empty: every class weighs 1. CrossEntropy and
# OHEMCrossEntropy weigh each pixel by its class; Dice, Tversky and Focal take the weighted mean of the classes'
# losses (smp), Lovasz multiplies each class's loss (mmsegmentation).
_C.MODEL.LOSS.CLASS_WEIGHTS = []
# CrossEntropy and OHEMCrossEntropy: what the summed loss is divided by: "valid" (the weights of the non-ignored
# pixels, PyTorch's mean), "all" (every pixel of the batch, ignored ones included: mmsegmentation's default
# avg_non_ignore=False), "sum" (not divided: Caffe's normalize: false, the FCN paper) or "valid_pixels" (the number
# of non-ignored pixels, whatever their weights: Caffe's weighted SoftmaxWithLoss, SegNet). OHEM's kept pixels are
# its non-ignored ones.
_C.MODEL.LOSS.AVERAGE = "valid"
# Dice (segmentation_models_pytorch's DiceLoss defaults): the smoothing added to the numerator and denominator, the
# smallest denominator, and LOG: -log(score) instead of 1 - score.
_C.MODEL.LOSS.DICE = _FvCfgNode()
_C.MODEL.LOSS.DICE.SMOOTH = 0.0
_C.MODEL.LOSS.DICE.EPS = 1e-7
_C.MODEL.LOSS.DICE.LOG = False
# Tversky (smp's TverskyLoss defaults; alpha = beta = 0.5 is Dice): ALPHA weighs false positives, BETA false
# negatives (the paper's 0.3, 0.7 favour recall); the loss is raised to GAMMA.
_C.MODEL.LOSS.TVERSKY = _FvCfgNode()
_C.MODEL.LOSS.TVERSKY.ALPHA = 0.5
_C.MODEL.LOSS.TVERSKY.BETA = 0.5
_C.MODEL.LOSS.TVERSKY.GAMMA = 1.0
_C.MODEL.LOSS.TVERSKY.SMOOTH = 0.0
_C.MODEL.LOSS.TVERSKY.EPS = 1e-7
# Focal (smp's FocalLoss defaults): the focusing exponent, and ALPHA (weight of the positives, 1 - ALPHA of the
# negatives; None: no weighting, smp's default; mmsegmentation's is 0.5, torchvision's 0.25).
_C.MODEL.LOSS.FOCAL = _FvCfgNode()
_C.MODEL.LOSS.FOCAL.GAMMA = 2.0
_C.MODEL.LOSS.FOCAL.ALPHA = None
# Lovasz: True computes the loss per image and averages; False over the whole batch (smp's default).
_C.MODEL.LOSS.LOVASZ = _FvCfgNode()
_C.MODEL.LOSS.LOVASZ.PER_IMAGE = False
# OHEMCrossEntropy (mmsegmentation's OHEMPixelSampler): keep the pixels whose probability of the true class is below
# THRESH, and at least MIN_KEPT of them, per image (PER_IMAGE, the sampler) or per batch (False: PIDNet's
# OhemCrossEntropy). THRESH None keeps the MIN_KEPT pixels of highest loss. mmseg's real-time recipes: 0.7 and 10000
# (BiSeNet, STDC), PIDNet/DDRNet: 0.9 and 131072 per batch; defaults: mmseg's OhemCrossEntropy's.
_C.MODEL.LOSS.OHEM = _FvCfgNode()
_C.MODEL.LOSS.OHEM.THRESH = 0.7
_C.MODEL.LOSS.OHEM.MIN_KEPT = 100000
_C.MODEL.LOSS.OHEM.PER_IMAGE = True

# ---------------------------------------------------------------------------- input
_C.INPUT = _FvCfgNode()
_C.INPUT.TRAIN = _FvCfgNode()
# How the random rescale is drawn (a factor r uniform in RATIO_RANGE):
#   "ratio":     the original image times r (hszhao/semseg);
#   "scale":     fit inside SCALE (long, short) times r, keeping the aspect ratio (mmsegmentation);
#   "long_side": the long side becomes BASE_SIZE times r (PyTorch-Encoding);
#   "none":      no rescale.
_C.INPUT.TRAIN.RESIZE_MODE = "ratio"
_C.INPUT.TRAIN.RATIO_RANGE = (0.5, 2.0)
_C.INPUT.TRAIN.SCALE = (2048, 512)
_C.INPUT.TRAIN.BASE_SIZE = 520
# Random rotation in this range of degrees, corners filled with the ignore label in the mask and the
# pixel mean in the image ((0, 0): off); applied with probability ROTATION_PROB (hszhao/semseg: 0.5).
_C.INPUT.TRAIN.ROTATION = (0.0, 0.0)
_C.INPUT.TRAIN.ROTATION_PROB = 0.5
# Gaussian blur with this probability (0: off).
_C.INPUT.TRAIN.BLUR_PROB = 0.0
# (h, w) of the random crop ((0, 0): no crop). Smaller images are padded with the ignore label.
_C.INPUT.TRAIN.CROP_SIZE = (512, 512)
# Retry the crop up to 10 times until no class covers more than this share of it (1.0: off).
_C.INPUT.TRAIN.CAT_MAX_RATIO = 1.0
_C.INPUT.TRAIN.FLIP = True
# Brightness, contrast, saturation and hue jitter as mmsegmentation's PhotoMetricDistortion.
_C.INPUT.TRAIN.PHOTOMETRIC = False
_C.INPUT.TEST = _FvCfgNode()
# Resize before inference, keeping the aspect ratio: "none", "short_side" (SHORT_SIDE),
# "long_side" (LONG_SIDE), "scale" (fit inside SCALE, as mmsegmentation's (2048, 512)) or
# "aligned_scale" (fit inside SCALE, then each side rounded up to a multiple of SIZE_DIVISOR by a
# second resize: SegFormer's AlignedResize).
_C.INPUT.TEST.RESIZE_MODE = "none"
_C.INPUT.TEST.SHORT_SIDE = 0
_C.INPUT.TEST.LONG_SIDE = 0
_C.INPUT.TEST.SCALE = (2048, 512)
_C.INPUT.TEST.SIZE_DIVISOR = 32

# ---------------------------------------------------------------------------- data
_C.DATASETS = _FvCfgNode()
_C.DATASETS.TRAIN = ("shapes_train",)
_C.DATASETS.TEST = ("shapes_val",)
# A folder of images and masks, registered under NAME as NAME_train / NAME_val when NAME is set.
_C.DATASETS.FOLDER = _FvCfgNode()
_C.DATASETS.FOLDER.NAME = ""
_C.DATASETS.FOLDER.ROOT = ""
_C.DATASETS.FOLDER.IMAGE_DIR = "images"
_C.DATASETS.FOLDER.MASK_DIR = "masks"
_C.DATASETS.FOLDER.IMAGE_EXT = ".jpg"
_C.DATASETS.FOLDER.MASK_EXT = ".png"
_C.DATASETS.FOLDER.CLASSES = []
_C.DATASETS.FOLDER.IGNORE_LABEL = 255
# Raw mask value -> train id, e.g. {255: 1} for binary masks stored as 0/255 (values not listed stay
# as they are). Held as [raw, train_id] pairs; a YAML or command-line mapping is accepted.
_C.DATASETS.FOLDER.LABEL_MAP = []
# The colour of each raw mask value, [[R, G, B], ...] (row i: value i, which LABEL_MAP may then map):
# masks stored as RGB colours are decoded through it (a colour not in it is an error naming the mask),
# and it is the display palette. Empty: masks hold the values (8/16-bit or palette-PNG indices).
_C.DATASETS.FOLDER.PALETTE = []
# Instead of PALETTE, a palette PNG (mode P, e.g. one of a VOC-style dataset's own masks) whose palette
# gives the colours, entry i for value i.
_C.DATASETS.FOLDER.PALETTE_FILE = ""
# Colours of classes 0..NUM_CLASSES-1 in overlays (predict, SegModel.visualize, visualize_data), for
# any dataset, [[R, G, B], ...]; empty: the dataset's own palette.
_C.DATASETS.DISPLAY_PALETTE = []

_C.DATALOADER = _FvCfgNode()
_C.DATALOADER.NUM_WORKERS = 2
# Skip a sample that cannot be used (unreadable file, mask size differing from the image's, labels out
# of range) with a warning naming it, instead of stopping: in training another sample, drawn from the
# skipped one's seed, takes its place; in testing it is left out. The count is logged.
_C.DATALOADER.SKIP_BAD_SAMPLES = False
# Train loader: batches in page-locked memory (when CUDA is available), so that the copy to the GPU
# overlaps compute; and batches each worker prepares ahead (with NUM_WORKERS > 0; PyTorch's default 2).
_C.DATALOADER.PIN_MEMORY = False
_C.DATALOADER.PREFETCH_FACTOR = 2

# ---------------------------------------------------------------------------- solver
_C.SOLVER = _FvCfgNode()
_C.SOLVER.OPTIMIZER = "SGD"  # or "AdamW"
# The optimizer's kernels: "default" (PyTorch's choice), "for_loop" (one parameter at a time),
# "foreach" (grouped multi-tensor kernels) or "fused" (one fused kernel; CUDA and recent CPU builds).
_C.SOLVER.OPTIMIZER_IMPL = "default"
_C.SOLVER.BASE_LR = 0.01
_C.SOLVER.MOMENTUM = 0.9
_C.SOLVER.NESTEROV = False
_C.SOLVER.BETAS = (0.9, 0.999)
_C.SOLVER.WEIGHT_DECAY = 1e-4
# Weight decay of normalization weights and biases, and of all biases (None: WEIGHT_DECAY).
_C.SOLVER.WEIGHT_DECAY_NORM = 0.0
_C.SOLVER.WEIGHT_DECAY_BIAS = None
# Every parameter outside the backbone learns at BASE_LR times this.
_C.SOLVER.HEAD_LR_MULTIPLIER = 1.0
# Biases (of convs and linear layers, not of norms) learn at this times their LR: 2 in the Caffe nets
# (lr_mult 2 on biases: FCN, SegNet).
_C.SOLVER.BIAS_LR_FACTOR = 1.0
# Parameters whose full names contain one of these strings get no weight decay, e.g. the Swin recipes'
# ["absolute_pos_embed", "relative_position_bias_table", "norm"] (mmsegmentation's custom_keys with
# decay_mult 0); checked before WEIGHT_DECAY_NORM and WEIGHT_DECAY_BIAS.
_C.SOLVER.NO_DECAY_KEYS = []
# Layer-wise learning-rate decay (mmsegmentation's LearningRateDecayOptimizerConstructor): a backbone
# parameter at depth d (numbered by the backbone, 0 .. NUM_LAYERS) learns at BASE_LR * RATE ** (NUM_LAYERS
# + 1 - d), everything outside the backbone at BASE_LR. TYPE "" (off), "layer_wise" or "stage_wise".
_C.SOLVER.LR_DECAY = _FvCfgNode()
_C.SOLVER.LR_DECAY.TYPE = ""
_C.SOLVER.LR_DECAY.RATE = 1.0
_C.SOLVER.LR_DECAY.NUM_LAYERS = 12
# Total images per iteration over all processes.
_C.SOLVER.IMS_PER_BATCH = 16
_C.SOLVER.MAX_ITER = 80000
_C.SOLVER.LR_SCHEDULER_NAME = "poly"  # "poly", "cosine" or "step"
_C.SOLVER.POLY_POWER = 0.9
# The LR that poly and cosine decay to.
_C.SOLVER.MIN_LR = 0.0
_C.SOLVER.STEPS = (60000,)
_C.SOLVER.GAMMA = 0.1
_C.SOLVER.WARMUP_ITERS = 0
_C.SOLVER.WARMUP_FACTOR = 0.001
_C.SOLVER.CHECKPOINT_PERIOD = 5000
# How many periodic checkpoints to keep (0: all).
_C.SOLVER.MAX_TO_KEEP = 3
_C.SOLVER.AMP = _FvCfgNode()
_C.SOLVER.AMP.ENABLED = False
_C.SOLVER.AMP.DTYPE = "float16"  # "float16" (with a grad scaler) or "bfloat16"
# float16's loss scale: 0 is dynamic (torch's GradScaler: from 65536, halved on an overflow, doubled after 2,000 good
# steps); a number keeps the scale there every step (mmsegmentation's AmpOptimWrapper with loss_scale=512.0).
_C.SOLVER.AMP.LOSS_SCALE = 0.0

# ---------------------------------------------------------------------------- test
_C.TEST = _FvCfgNode()
# Evaluate every this many iterations (0: only at the end).
_C.TEST.EVAL_PERIOD = 0
_C.TEST.IMS_PER_BATCH = 1
# "whole": the (resized) image in one pass; "slide": windows of CROP_SIZE every STRIDE, the last
# window aligned to the border, logits averaged where windows overlap.
_C.TEST.MODE = "whole"
_C.TEST.CROP_SIZE = (512, 512)
_C.TEST.STRIDE = (341, 341)
# Sliding windows per forward pass (the memory budget of "slide"): the windows, and a flipped view
# with its plain view, run as batches of up to this many crops; results equal the per-window loop's.
# 1 (a window at a time) by default: batching measured no faster on CPU (docs/benchmarks.md); try 8 on a GPU.
_C.TEST.WINDOW_BATCH = 1
# Multi-scale: the resized image is further scaled by each factor; predictions are averaged.
_C.TEST.SCALES = (1.0,)
_C.TEST.FLIP = False
# How scales and flips are averaged: "prob" (softmax probabilities, hszhao/semseg and
# mmsegmentation) or "exp" (PyTorch-Encoding's sum of exp of the logits).
_C.TEST.AGGREGATE = "prob"

# ---------------------------------------------------------------------------- misc
_C.OUTPUT_DIR = "./output"
# The seed of everything random; negative: draw one and log it.
_C.SEED = 0
_C.CUDNN_BENCHMARK = False
# Iterations between console/JSON/TensorBoard writes.
_C.LOG_PERIOD = 20
# Experiment trackers besides metrics.json and TensorBoard, each an optional extra: "wandb"
# (pip install -e ".[wandb]"; WANDB_MODE=offline keeps the run in OUTPUT_DIR/wandb) and "mlflow"
# (".[mlflow]"). They get metrics.json's raw values every LOG_PERIOD iterations, and the config.
_C.TRACKERS = _FvCfgNode()
_C.TRACKERS.NAMES = []
# The W&B project and the MLflow experiment.
_C.TRACKERS.PROJECT = "seg_engine"
# The name of the run; "": the name of OUTPUT_DIR's folder.
_C.TRACKERS.RUN_NAME = ""
# Where MLflow records; "": $MLFLOW_TRACKING_URI when set, else OUTPUT_DIR/mlruns.
_C.TRACKERS.MLFLOW_TRACKING_URI = ""


# ---------------------------------------------------------------------------- renamed keys
def _register_renames() -> None:
    from .renames import register_renamed_key

    why = "heads read a list of maps"
    register_renamed_key("MODEL.HEAD.IN_FEATURE", lambda v, _: {"MODEL.HEAD.IN_FEATURES": [v]}, why)
    register_renamed_key("MODEL.AUX_HEAD.IN_FEATURE", lambda v, _: {"MODEL.AUX_HEAD.IN_FEATURES": [v]}, why)
    register_renamed_key("MODEL.AUX_HEAD.ENABLED", lambda on, _: {"MODEL.AUX_HEADS": ["AUX_HEAD"] if on else []},
                         "auxiliary heads are the nodes MODEL.AUX_HEADS lists")


_register_renames()
