"""Every recipe starts from weights it names (a URL or a name), never from a file fetched by hand into
pretrained/ or initmodel/, and those weights fit the recipe's model."""
import functools
import glob
import os
import re
from typing import Dict, Tuple

import pytest
import torch
import torchvision
import yaml

from seg_engine.checkpoint import Checkpointer, WeightsDownloadError, convert_weights, fetch_weights, resolve_weights, unwrap_state_dict
from seg_engine.model_zoo.recipes import DATA_FILES
from seg_engine.utils.testing import ROOT, build_on_meta, load_config, read_key_table

Shape = Tuple[int, ...]
YAMLS = sorted(glob.glob(os.path.join(ROOT, "configs", "**", "*.yaml"), recursive=True)
               + glob.glob(os.path.join(ROOT, "projects", "*", "configs", "**", "*.yaml"), recursive=True))
HAND_FETCHED = re.compile(r"^(\./)?(pretrained|initmodel)/|/(pretrained|initmodel)/")


@functools.lru_cache(maxsize=None)
def written_model_node(path: str) -> dict:
    """The MODEL node as the file itself writes it (without its _BASE_)."""
    with open(path) as f:
        data = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    return data.get("MODEL") or {}


def written_weights(path: str) -> str:
    return str(written_model_node(path).get("WEIGHTS", ""))


def relative(path: str) -> str:
    return os.path.relpath(path, ROOT)


def test_no_recipe_names_a_file_fetched_by_hand():
    offenders = {relative(p): written_weights(p) for p in YAMLS if HAND_FETCHED.search(written_weights(p))}
    assert offenders == {}, "use a name or URL (docs/model_zoo.md, 'Weights by name') instead of these files"
    # What remains: names and URLs, or the output of an earlier stage of the same recipe family.
    others = {relative(p): w for p in YAMLS if (w := written_weights(p)) and "://" not in w}
    assert all(w.startswith("./output/") for w in others.values()), others


def test_the_check_catches_a_hand_fetched_file():
    assert HAND_FETCHED.search("pretrained/resnet50-0676ba61.pth")
    assert HAND_FETCHED.search("./initmodel/resnet50_v2.pth")
    assert not HAND_FETCHED.search("torchvision://resnet50")


def test_each_written_name_resolves_and_agrees_with_the_format_beside_it():
    written = {relative(p): (written_weights(p), written_model_node(p).get("WEIGHTS_FORMAT", ""))
               for p in YAMLS if "://" in written_weights(p)}
    # the 19 files that named pretrained/ or initmodel/ files before, SegFormer's 26 recipes (mmsegmentation's MiT URLs)
    # UPerNet's 12 (open-mmlab:// ResNets, mmsegmentation's Swin and mmpretrain's ConvNeXt URLs), Mask2Former's 13
    # (torchvision:// ResNets, the Swin authors' release URLs) and RealTime's 9 (mmsegmentation's ImageNet PIDNet,
    # DDRNet, STDC and ResNet18-V1c URLs, torchvision's MobileNetV3)
    assert len(written) == 79
    assert {w.split("://")[0] for w, _ in written.values()} == {"open-mmlab", "torchvision", "timm", "semseg", "http", "https"}
    for path, (weights, weights_format) in written.items():
        implied = resolve_weights(weights).weights_format
        assert not (weights_format and implied) or weights_format == implied, path


# ---- the outside layouts of the named files, from the references' own code or committed key tables

def _meta_state(module: torch.nn.Module) -> Dict[str, Shape]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def torchvision_layout(arch: str) -> Dict[str, Shape]:
    with torch.device("meta"):
        return _meta_state(torchvision.models.get_model(arch, weights=None))


def _deep_stem(widths: Tuple[int, int, int], names) -> Dict[str, Shape]:
    bn = lambda w: {"weight": (w,), "bias": (w,), "running_mean": (w,), "running_var": (w,), "num_batches_tracked": ()}
    shapes, cin = {}, 3
    for (conv, norm), w in zip(names, widths):
        shapes[f"{conv}.weight"] = (w, cin, 3, 3)
        shapes.update({f"{norm}.{k}": s for k, s in bn(w).items()})
        cin = w
    return shapes


def open_mmlab_v1c_layout(depth: int) -> Dict[str, Shape]:
    """mmcv's ResNetV1c ImageNet file: torchvision's ResNet with the stem as stem.0..stem.7 (32, 32, 64)."""
    tv = torchvision_layout(f"resnet{depth}")
    stem = _deep_stem((32, 32, 64), [("stem.0", "stem.1"), ("stem.3", "stem.4"), ("stem.6", "stem.7")])
    return {**stem, **{k: s for k, s in tv.items() if not k.startswith(("conv1.", "bn1."))}}


def semseg_v2_layout(depth: int) -> Dict[str, Shape]:
    """hszhao/semseg's resnet*_v2.pth: conv1/bn1..conv3/bn3 (64, 64, 128), so layer1 takes 128 channels."""
    tv = torchvision_layout(f"resnet{depth}")
    stem = _deep_stem((64, 64, 128), [("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3")])
    widened = {"layer1.0.conv1.weight": (64, 128, 1, 1), "layer1.0.downsample.0.weight": (256, 128, 1, 1)}
    return {**{k: s for k, s in tv.items() if not k.startswith(("conv1.", "bn1."))}, **stem, **widened}


# MiT-B0..B5 (SegFormer): widths and blocks per stage; patch embeddings 7x7 then 3x3, key/value reductions 8, 4, 2, 1
MIT_DIMS = {"b0": (32, 64, 160, 256), **{f"b{k}": (64, 128, 320, 512) for k in range(1, 6)}}
MIT_DEPTHS = {"b0": (2, 2, 2, 2), "b1": (2, 2, 2, 2), "b2": (3, 4, 6, 3), "b3": (3, 4, 18, 3), "b4": (3, 8, 27, 3),
              "b5": (3, 6, 40, 3)}
MMSEG_MIT_URL = re.compile(r"/pretrain/segformer/mit_(b[0-5])_20220624-[0-9a-f]{8}\.pth$")


def mmseg_mit_layout(variant: str) -> Dict[str, Shape]:
    """mmsegmentation's ImageNet MiT file: stage i is layers.i.0 (patch embedding), layers.i.1.j (blocks: packed q/k/v
    of nn.MultiheadAttention, the FFN as 1x1 conv, depthwise 3x3, 1x1 conv), layers.i.2 (the closing norm)."""
    shapes, cin = {}, 3
    for i, (c, depth, k, sr) in enumerate(zip(MIT_DIMS[variant], MIT_DEPTHS[variant], (7, 3, 3, 3), (8, 4, 2, 1))):
        norm = lambda name, width=c: {f"{name}.weight": (width,), f"{name}.bias": (width,)}
        shapes.update({f"layers.{i}.0.projection.weight": (c, cin, k, k), f"layers.{i}.0.projection.bias": (c,),
                       **norm(f"layers.{i}.0.norm"), **norm(f"layers.{i}.2")})
        for j in range(depth):
            b = f"layers.{i}.1.{j}."
            shapes.update({**norm(b + "norm1"), **norm(b + "norm2"), b + "attn.attn.in_proj_weight": (3 * c, c),
                           b + "attn.attn.in_proj_bias": (3 * c,), b + "attn.attn.out_proj.weight": (c, c),
                           b + "attn.attn.out_proj.bias": (c,), b + "ffn.layers.0.weight": (4 * c, c, 1, 1),
                           b + "ffn.layers.0.bias": (4 * c,), b + "ffn.layers.1.weight": (4 * c, 1, 3, 3),
                           b + "ffn.layers.1.bias": (4 * c,), b + "ffn.layers.4.weight": (c, 4 * c, 1, 1),
                           b + "ffn.layers.4.bias": (c,)})
            if sr > 1:
                shapes.update({b + "attn.sr.weight": (c, c, sr, sr), b + "attn.sr.bias": (c,), **norm(b + "attn.norm")})
        cin = c
    return shapes


def test_the_derived_layouts_match_the_committed_reference_tables():
    mmseg = read_key_table(os.path.join(ROOT, "projects", "FCN", "tests", "data", "mmseg_fcn_r50_d8_keys.txt"))
    mmseg_backbone = {k[len("backbone."):]: s for k, s in mmseg.items() if k.startswith("backbone.")}
    assert {k: s for k, s in open_mmlab_v1c_layout(50).items() if not k.startswith("fc.")} == mmseg_backbone
    semseg = read_key_table(os.path.join(ROOT, "projects", "PSPNet", "tests", "data", "semseg_pspnet50_ade20k_keys.txt"))
    stem_names = {"0": "conv1", "1": "bn1", "3": "conv2", "4": "bn2", "6": "conv3", "7": "bn3"}
    semseg_backbone = {}
    for key, shape in semseg.items():
        if key.startswith("layer0."):
            index, rest = key[len("layer0."):].split(".", 1)
            semseg_backbone[f"{stem_names[index]}.{rest}"] = shape
        elif key.startswith(("layer1.", "layer2.", "layer3.", "layer4.")):
            semseg_backbone[key] = shape
    assert {k: s for k, s in semseg_v2_layout(50).items() if not k.startswith("fc.")} == semseg_backbone
    mit = read_key_table(os.path.join(ROOT, "projects", "SegFormer", "tests", "data", "mmseg_mit_keys.txt"))
    assert mmseg_mit_layout("b0") == mit
    # mmsegmentation's trained UPerNets hold the backbones of its ImageNet files, with output norms norm0..3 in place
    # of the classifiers' (Swin: norm; ConvNeXt: norm3) and without the shift masks (computed in forward there)
    upernet = os.path.join(ROOT, "projects", "UPerNet", "tests", "data")
    for layout, table, out_dims in ((mmseg_swin_layout(96, (2, 2, 6, 2), (3, 6, 12, 24)), "mmseg_upernet_swin-t_150_keys.txt",
                                     (96, 192, 384, 768)),
                                    (mmpretrain_convnext_layout((96, 192, 384, 768), (3, 3, 9, 3)),
                                     "mmseg_upernet_convnext-t_150_keys.txt", (96, 192, 384, 768))):
        trained = {k: s for k, s in read_key_table(os.path.join(upernet, table)).items() if k.startswith("backbone.")}
        output_norms = {f"backbone.norm{i}.{p}": (d,) for i, d in enumerate(out_dims) for p in ("weight", "bias")}
        classifier = re.compile(r"^(backbone\.norm3?\.|head\.)|attn_mask$")
        assert {**{k: s for k, s in layout.items() if not classifier.search(k)}, **output_norms} == trained


def mmseg_swin_layout(embed_dim: int, depths, num_heads, window: int = 7) -> Dict[str, Shape]:
    """mmsegmentation's ImageNet Swin file (the authors' 224-pixel classifier through swin2mmseg): backbone.patch_embed
    .projection, stages.i.blocks.j.{norm1, attn.w_msa, norm2, ffn.layers}, stages.i.downsample, the final norm, and
    the authors' buffers (relative-position indices, the shifted blocks' masks where a stage is larger than a window)."""
    c, table = embed_dim, (2 * window - 1) ** 2
    shapes = {"backbone.patch_embed.projection.weight": (c, 3, 4, 4), "backbone.patch_embed.projection.bias": (c,),
              "backbone.patch_embed.norm.weight": (c,), "backbone.patch_embed.norm.bias": (c,)}
    for i, (depth, heads) in enumerate(zip(depths, num_heads)):
        d, side = c * 2**i, 56 // 2**i
        for j in range(depth):
            b = f"backbone.stages.{i}.blocks.{j}."
            shapes.update({b + "norm1.weight": (d,), b + "norm1.bias": (d,), b + "norm2.weight": (d,), b + "norm2.bias": (d,),
                           b + "attn.w_msa.relative_position_bias_table": (table, heads),
                           b + "attn.w_msa.relative_position_index": (window**2, window**2),
                           b + "attn.w_msa.qkv.weight": (3 * d, d), b + "attn.w_msa.qkv.bias": (3 * d,),
                           b + "attn.w_msa.proj.weight": (d, d), b + "attn.w_msa.proj.bias": (d,),
                           b + "ffn.layers.0.0.weight": (4 * d, d), b + "ffn.layers.0.0.bias": (4 * d,),
                           b + "ffn.layers.1.weight": (d, 4 * d), b + "ffn.layers.1.bias": (d,)})
            if j % 2 and side > window:
                shapes[b + "attn_mask"] = ((side // window) ** 2, window**2, window**2)
        if i < len(depths) - 1:
            shapes.update({f"backbone.stages.{i}.downsample.reduction.weight": (2 * d, 4 * d),
                           f"backbone.stages.{i}.downsample.norm.weight": (4 * d,),
                           f"backbone.stages.{i}.downsample.norm.bias": (4 * d,)})
    d = c * 2 ** (len(depths) - 1)
    return {**shapes, "backbone.norm.weight": (d,), "backbone.norm.bias": (d,)}


def mmpretrain_convnext_layout(dims, depths) -> Dict[str, Shape]:
    """mmpretrain's ImageNet ConvNeXt file: backbone.downsample_layers, stages.i.j.{depthwise_conv, norm,
    pointwise_conv1/2, gamma}, the stage-3 norm (norm3) and the classifier head.fc."""
    shapes = {"backbone.downsample_layers.0.0.weight": (dims[0], 3, 4, 4), "backbone.downsample_layers.0.0.bias": (dims[0],),
              "backbone.downsample_layers.0.1.weight": (dims[0],), "backbone.downsample_layers.0.1.bias": (dims[0],)}
    for i, (d, depth) in enumerate(zip(dims, depths)):
        if i:
            shapes.update({f"backbone.downsample_layers.{i}.0.weight": (dims[i - 1],),
                           f"backbone.downsample_layers.{i}.0.bias": (dims[i - 1],),
                           f"backbone.downsample_layers.{i}.1.weight": (d, dims[i - 1], 2, 2),
                           f"backbone.downsample_layers.{i}.1.bias": (d,)})
        for j in range(depth):
            b = f"backbone.stages.{i}.{j}."
            shapes.update({b + "gamma": (d,), b + "depthwise_conv.weight": (d, 1, 7, 7), b + "depthwise_conv.bias": (d,),
                           b + "norm.weight": (d,), b + "norm.bias": (d,), b + "pointwise_conv1.weight": (4 * d, d),
                           b + "pointwise_conv1.bias": (4 * d,), b + "pointwise_conv2.weight": (d, 4 * d),
                           b + "pointwise_conv2.bias": (d,)})
    return {**shapes, "backbone.norm3.weight": (dims[-1],), "backbone.norm3.bias": (dims[-1],),
            "head.fc.weight": (1000, dims[-1]), "head.fc.bias": (1000,)}


def authors_swin_layout(embed_dim: int, depths, num_heads, window: int, image: int, classes: int) -> Dict[str, Shape]:
    """The Swin authors' ImageNet state dict (microsoft/Swin-Transformer's releases): mmsegmentation's layout
    under the authors' names (patch_embed.proj, layers.i.blocks.j.{attn, mlp.fc1/fc2}, layers.i.downsample, the final
    norm, the classifier head), for a classifier of ``image`` pixels with ``window``-pixel windows."""
    names = [("backbone.", ""), ("patch_embed.projection", "patch_embed.proj"), ("stages.", "layers."),
             ("attn.w_msa.", "attn."), ("ffn.layers.0.0", "mlp.fc1"), ("ffn.layers.1", "mlp.fc2")]
    shapes = {}
    for key, shape in mmseg_swin_layout(embed_dim, depths, num_heads, window).items():
        if key.endswith("attn_mask"):
            continue
        for theirs, ours in names:
            key = key.replace(theirs, ours)
        shapes[key] = shape
    for i, depth in enumerate(depths):
        side = image // 4 // 2**i
        for j in range(1, depth, 2):
            if side > window:
                shapes[f"layers.{i}.blocks.{j}.attn_mask"] = ((side // window) ** 2, window**2, window**2)
    d = embed_dim * 2 ** (len(depths) - 1)
    return {**shapes, "head.weight": (classes, d), "head.bias": (classes,)}


# The Swin authors' ImageNet releases as the Mask2Former recipes name them: name -> arguments
AUTHORS_SWIN_URL = re.compile(r"^https://github\.com/SwinTransformer/storage/releases/download/v1\.0\.0/"
                              r"(swin_(?:tiny|small|base|large)_patch4_window(?:7_224|12_384)(?:_22k)?)\.pth$")
AUTHORS_SWINS = {"swin_tiny_patch4_window7_224": (96, (2, 2, 6, 2), (3, 6, 12, 24), 7, 224, 1000),
                 "swin_small_patch4_window7_224": (96, (2, 2, 18, 2), (3, 6, 12, 24), 7, 224, 1000),
                 "swin_base_patch4_window12_384": (128, (2, 2, 18, 2), (4, 8, 16, 32), 12, 384, 1000),
                 "swin_base_patch4_window12_384_22k": (128, (2, 2, 18, 2), (4, 8, 16, 32), 12, 384, 21841),
                 "swin_large_patch4_window12_384_22k": (192, (2, 2, 18, 2), (6, 12, 24, 48), 12, 384, 21841)}

# mmsegmentation's ImageNet Swins and mmpretrain's ConvNeXts as the UPerNet recipes name them: size -> arguments
MMSEG_SWIN_URL = re.compile(r"/pretrain/swin/swin_(tiny|small|base)_patch4_window7_224_20220317-[0-9a-f]{8}\.pth$")
MMSEG_SWINS = {"tiny": (96, (2, 2, 6, 2), (3, 6, 12, 24)), "small": (96, (2, 2, 18, 2), (3, 6, 12, 24)),
               "base": (128, (2, 2, 18, 2), (4, 8, 16, 32))}
MMPRETRAIN_CONVNEXT_URL = re.compile(r"/convnext/downstream/convnext-(tiny|small|base)_3rdparty_32xb128-noema_in1k_20220301-"
                                     r"[0-9a-f]{8}\.pth$")
MMPRETRAIN_CONVNEXTS = {"tiny": ((96, 192, 384, 768), (3, 3, 9, 3)), "small": ((96, 192, 384, 768), (3, 3, 27, 3)),
                        "base": ((128, 256, 512, 1024), (3, 3, 27, 3))}


# mmsegmentation's ImageNet files of the real-time networks: the backbone keys of the trained model's committed key
# table (the file holds the backbone module's own keys: PIDNet, DDRNet, the STDCNet inside STDC's backbone)
REALTIME_DATA = os.path.join(ROOT, "projects", "RealTime", "tests", "data")
MMSEG_REALTIME_URL = re.compile(r"/(pidnet-[sl]_imagenet1k|ddrnet23s-in1kpre|stdc[12])_[-_0-9a-z]+\.pth$")
MMSEG_REALTIME_TABLES = {"pidnet-s_imagenet1k": ("mmseg_pidnet_keys.txt", "backbone."),
                         "pidnet-l_imagenet1k": ("mmseg_pidnet-l_keys.txt", "backbone."),
                         "ddrnet23s-in1kpre": ("mmseg_ddrnet_keys.txt", "backbone."),
                         "stdc1": ("mmseg_stdc_keys.txt", "backbone.backbone."),
                         "stdc2": ("mmseg_stdc2_keys.txt", "backbone.backbone.")}
# Named files without a committed table of their network (mmsegmentation's PIDNet-M and DDRNet-23 are PIDNet-S and
# DDRNet-23-slim at other widths): not checked here.
UNCHECKED = re.compile(r"/(pidnet-m_imagenet1k|ddrnet23-in1kpre)_")
# Backbone tensors that the real-time references leave at their initialisation too: the ImageNet file initialises
# STDC's STDCNet only (not its context path and fusion), and BiSeNetV1's context-path ResNet's layer1..4 only (its
# 7x7 stem conv1/bn1 does not fit the deep-stem file).
RANDOM_IN_REFERENCE = re.compile(r"^backbone\.(context_path|ffm|spatial_path|resnet\.conv1|resnet\.bn1)\.")


def outside_layout(reference: str) -> Dict[str, Shape]:
    if MMSEG_REALTIME_URL.search(reference):
        table, prefix = MMSEG_REALTIME_TABLES[MMSEG_REALTIME_URL.search(reference).group(1)]
        keys = read_key_table(os.path.join(REALTIME_DATA, table))
        return {k[len(prefix):]: s for k, s in keys.items() if k.startswith(prefix)}
    if reference.endswith("/resnet18_v1c-b5776b93.pth"):
        return open_mmlab_v1c_layout(18)
    scheme, _, name = reference.partition("://")
    if scheme == "torchvision":
        return torchvision_layout(name.split(".")[0])
    if scheme == "open-mmlab":
        return open_mmlab_v1c_layout(int(re.match(r"resnet(\d+)_v1c$", name).group(1)))
    if scheme == "semseg":
        return semseg_v2_layout(int(re.match(r"resnet(\d+)_v2$", name).group(1)))
    if scheme == "timm":
        return read_key_table(os.path.join(ROOT, "tests", "checkpoint", "data", f"timm_{name.split('.')[0]}_keys.txt"))
    if MMSEG_MIT_URL.search(reference):
        return mmseg_mit_layout(MMSEG_MIT_URL.search(reference).group(1))
    if AUTHORS_SWIN_URL.match(reference):
        return authors_swin_layout(*AUTHORS_SWINS[AUTHORS_SWIN_URL.match(reference).group(1)])
    if MMSEG_SWIN_URL.search(reference):
        return mmseg_swin_layout(*MMSEG_SWINS[MMSEG_SWIN_URL.search(reference).group(1)])
    if MMPRETRAIN_CONVNEXT_URL.search(reference):
        return mmpretrain_convnext_layout(*MMPRETRAIN_CONVNEXTS[MMPRETRAIN_CONVNEXT_URL.search(reference).group(1)])
    if "drive.google.com" in reference:  # wkentaro's vgg16_from_caffe.pth has torchvision's vgg16 keys
        return torchvision_layout("vgg16")
    raise AssertionError(f"no layout known for {reference}")


CLASSIFIER = re.compile(r"^(backbone\.)?(fc|classifier|head\.fc)\.")
# The output norms of the Swin and ConvNeXt segmentation backbones, which the ImageNet classifiers do not have (they
# keep their initialisation, as in the authors' and mmsegmentation's code)
OUTPUT_NORMS = re.compile(r"^backbone\.norm\d\.")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*copying from a non-meta parameter")
def test_every_named_weight_fits_its_recipes_backbone():
    """For every recipe whose MODEL.WEIGHTS is a name or URL, the file's layout through the converter the recipe
    uses (its own or the one the name implies) covers every backbone tensor with the model's shape (but the output
    norms of Swin and ConvNeXt); only the ImageNet classifier is left over."""
    recipes = [p for p in YAMLS if "projects" in p and not os.path.basename(p).startswith("Base-")
               and os.path.basename(p) not in DATA_FILES]
    checked, problems = [], {}
    for path in recipes:
        cfg = load_config(path)
        if "://" not in cfg.MODEL.WEIGHTS or UNCHECKED.search(cfg.MODEL.WEIGHTS):
            continue
        checked.append(path)
        model = build_on_meta(cfg)
        weights_format = cfg.MODEL.WEIGHTS_FORMAT or resolve_weights(cfg.MODEL.WEIGHTS).weights_format
        layout = {k: torch.empty(s, device="meta") for k, s in outside_layout(cfg.MODEL.WEIGHTS).items()}
        checkpointer = Checkpointer(model)
        state = convert_weights(layout, weights_format) if weights_format else checkpointer._match_backbone(unwrap_state_dict(layout))
        incompatible = checkpointer._load_model({"model": state})
        wrong = [k for k, *_ in incompatible.incorrect_shapes]
        wrong += [k for k in incompatible.missing_keys if k.startswith("backbone.") and not k.endswith("num_batches_tracked")
                  and not OUTPUT_NORMS.match(k) and not RANDOM_IN_REFERENCE.match(k)]
        wrong += [k for k in incompatible.unexpected_keys if not CLASSIFIER.match(k)]
        if wrong:
            problems[relative(path)] = (cfg.MODEL.WEIGHTS, wrong[:5])
    assert problems == {}
    assert len(checked) >= 94  # 19 + SegFormer's 33 + UPerNet's 20 + Mask2Former's 15 + RealTime's 7


def test_a_semseg_name_says_where_the_file_comes_from_and_where_it_goes(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_ENGINE_CACHE", str(tmp_path))
    expected = tmp_path / "weights" / "semseg" / "resnet50_v2.pth"
    with pytest.raises(WeightsDownloadError) as error:
        fetch_weights("semseg://resnet50_v2")
    assert str(error.value) == (
        "semseg://resnet50_v2 has no direct download (hszhao/semseg publishes initmodel/resnet50_v2.pth only in "
        f"the Google Drive folder https://drive.google.com/open?id=15wx9vOM0euyizq-M1uINgN0_wjVRf9J3); put the file at {expected}"
    )
    expected.parent.mkdir(parents=True)
    expected.write_bytes(b"placed by hand")
    assert fetch_weights("semseg://resnet50_v2") == (str(expected), "semseg_resnet_imagenet")
