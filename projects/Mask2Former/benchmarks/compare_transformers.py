"""Mask2Former-R50 here against transformers' Mask2FormerForUniversalSegmentation (same weights) on CPU.

    python projects/Mask2Former/benchmarks/compare_transformers.py [--size 256] [--batch 2] [--rounds 3]
    python projects/Mask2Former/benchmarks/compare_transformers.py --memory ours|transformers --size 512

Speed: one process, the two models' inference (semantic scores at the input size) and training steps
(forward, the 12,544-point losses of all 10 predictions, backward) timed alternately, the order swapped
every round (seg_engine.analysis.benchmark.interleaved_timings); the ratio is of medians. Training differs in
one respect: transformers' ResNet trains its BN, this recipe's is frozen (FrozenBN, as the authors').
Deformable-attention share: the grid_sample core's forward and backward, timed on the inputs it received
during one of our training steps, over that step's time. Memory (--memory): a fresh process's peak RSS after
one training step of the one model. Needs transformers (a parity reference, not a dependency); prints JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
RECIPE = os.path.join(os.path.dirname(HERE), "configs", "ade20k", "mask2former_r50_512x512_160k_ade20k_hf.yaml")


def build_pair(num_classes: int = 150):
    """(ours, transformers') with the same random weights (transformers' converted by hf_mask2former)."""
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, ResNetConfig

    from seg_engine.checkpoint import convert_weights
    from seg_engine.modeling import build_model
    from seg_engine.plugins import load_plugin
    from seg_engine.utils.testing import load_config

    load_plugin(os.path.dirname(HERE))
    torch.manual_seed(0)
    backbone = ResNetConfig(depths=[3, 4, 6, 3], out_features=["stage1", "stage2", "stage3", "stage4"])
    theirs = Mask2FormerForUniversalSegmentation(Mask2FormerConfig(backbone_config=backbone, num_labels=num_classes))
    ours = build_model(load_config(RECIPE, "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", num_classes))
    missing, unexpected = ours.load_state_dict(convert_weights(theirs.state_dict(), "hf_mask2former"), strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    return ours, theirs


def build_one(which: str, num_classes: int = 150):
    """Only the model whose memory is measured (the other is None)."""
    if which == "transformers":
        from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, ResNetConfig

        backbone = ResNetConfig(depths=[3, 4, 6, 3], out_features=["stage1", "stage2", "stage3", "stage4"])
        return None, Mask2FormerForUniversalSegmentation(Mask2FormerConfig(backbone_config=backbone, num_labels=num_classes))
    from seg_engine.modeling import build_model
    from seg_engine.plugins import load_plugin
    from seg_engine.utils.testing import load_config

    load_plugin(os.path.dirname(HERE))
    return build_model(load_config(RECIPE, "MODEL.DEVICE", "cpu", "MODEL.NUM_CLASSES", num_classes)), None


def inputs(batch: int, size: int, num_classes: int = 150):
    g = torch.Generator().manual_seed(1)
    images = torch.randn(batch, 3, size, size, generator=g)
    semantic = torch.randint(0, 8, (batch, size // 32, size // 32), generator=g) * (num_classes // 8)
    semantic = semantic.repeat_interleave(32, 1).repeat_interleave(32, 2)  # blocks of a few classes
    labels = [torch.unique(s) for s in semantic]
    masks = [(s[None] == c[:, None, None]).float() for s, c in zip(semantic, labels)]
    return images, semantic, labels, masks


def steps(ours, theirs, images, semantic, labels, masks):
    from seg_engine_projects.mask2former import semantic_scores

    def ours_infer():
        ours.eval()
        with torch.no_grad():
            return ours.segment(images)["sem_seg"]

    def theirs_infer():
        theirs.eval()
        with torch.no_grad():
            o = theirs(pixel_values=images)
            return semantic_scores(o.class_queries_logits, o.masks_queries_logits, images.shape[-2:])

    def ours_train():
        ours.train()
        losses = ours.losses(ours.segment(images), semantic, [])
        sum(losses.values()).backward()
        ours.zero_grad(set_to_none=True)

    def theirs_train():
        theirs.train()
        theirs(pixel_values=images, mask_labels=masks, class_labels=labels).loss.backward()
        theirs.zero_grad(set_to_none=True)

    return {"ours_inference": ours_infer, "transformers_inference": theirs_infer,
            "ours_train_step": ours_train, "transformers_train_step": theirs_train}


def deformable_share(ours, images, semantic) -> dict:
    """Seconds of the grid_sample deformable-attention core (forward + backward) in one training step."""
    import seg_engine_projects.mask2former.ms_deform_attn as msda

    calls = []
    original = msda.ms_deform_attn_pytorch

    def recording(value, shapes, locations, weights):
        calls.append((value.detach(), list(shapes), locations.detach(), weights.detach()))
        return original(value, shapes, locations, weights)

    msda.ms_deform_attn_pytorch = recording
    try:
        ours.train()
        start = time.perf_counter()
        sum(ours.losses(ours.segment(images), semantic, []).values()).backward()
        step = time.perf_counter() - start
        ours.zero_grad(set_to_none=True)
    finally:
        msda.ms_deform_attn_pytorch = original
    start = time.perf_counter()
    for value, shapes, locations, weights in calls:
        value, locations, weights = (t.clone().requires_grad_() for t in (value, locations, weights))
        out = original(value, shapes, locations, weights)
        out.backward(torch.ones_like(out))
    core = time.perf_counter() - start
    return {"calls": len(calls), "core_seconds": round(core, 3), "step_seconds": round(step, 3),
            "share": round(core / step, 3)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    p.add_argument("--memory", choices=("ours", "transformers"), help="peak RSS of one training step of one model")
    args = p.parse_args(argv)
    try:
        import transformers
    except ImportError:
        print("compare_transformers: error: needs transformers (pip install transformers)", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    data = inputs(args.batch, args.size)
    machine = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
               "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
               "transformers": transformers.__version__, "load_average": os.getloadavg()}
    if args.memory:
        ours, theirs = build_one(args.memory)
        steps(ours, theirs, *data)["ours_train_step" if args.memory == "ours" else "transformers_train_step"]()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"memory": args.memory, "size": args.size, "batch": args.batch, "peak_rss_mb": round(peak), **machine}))
        return 0
    from seg_engine.analysis.benchmark import interleaved_timings

    ours, theirs = build_pair()
    all_steps = steps(ours, theirs, *data)
    result = {"size": args.size, "batch": args.batch, **machine}
    for kind in ("inference", "train_step"):
        t = interleaved_timings({k: v for k, v in all_steps.items() if k.endswith(kind)}, args.batch, rounds=args.rounds)
        result[kind] = {k: {"median_s": round(v["median_s"], 3), "seconds": v["seconds"]} for k, v in t.items()}
        result[kind]["ratio_transformers_over_ours"] = round(
            t[f"transformers_{kind}"]["median_s"] / t[f"ours_{kind}"]["median_s"], 3)
    result["deformable_attention"] = deformable_share(ours, data[0], data[1])
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
