#!/usr/bin/env python
"""Export a trained model to ONNX, torch.export's .pt2 or TorchScript, then check the file against PyTorch:

    python tools/export_model.py --config-file output/x/config.yaml --weights output/x/model_final.pth \\
        --format onnx --input-size 512 512 [--dynamic] --output model.onnx

The file takes 1 x 3 x H x W float RGB in 0..255 and returns the logits of one whole-image pass. It is
run at the export size (and, with --dynamic, at two other sizes); the max |logit difference| and the
argmax agreement are printed, and a file whose outputs do not match is deleted with one line saying why.
"""
import sys

from seg_engine.checkpoint import Checkpointer
from seg_engine.deploy import export_model
from seg_engine.deploy.export import FORMATS, MAX_DYNAMIC_SIZE, MIN_DYNAMIC_SIZE, check_input_size
from seg_engine.modeling import build_model
from seg_engine.utils.cli import config_of, run_tool, tool_parser


def parser():
    p = tool_parser("export_model.py", __doc__.splitlines()[0])
    p.add_argument("--weights", required=True, help="the checkpoint (MODEL.WEIGHTS)")
    p.add_argument("--format", choices=FORMATS, default="onnx",
                   help="onnx (the [export] extra), pt2 (torch.export.save; load with torch.export.load) or "
                        "torchscript (torch.jit.trace: the fallback for models torch.export cannot take)")
    p.add_argument("--input-size", type=int, nargs=2, default=(512, 512), metavar=("H", "W"))
    p.add_argument("--dynamic", action="store_true",
                   help=f"height and width as dynamic axes ({MIN_DYNAMIC_SIZE}..{MAX_DYNAMIC_SIZE})")
    p.add_argument("--output", required=True, help="the file to write (.onnx, .pt2 or .pt)")
    return p


def main(args):
    check_input_size(tuple(args.input_size), args.dynamic)
    cfg = config_of(args, weights=args.weights)
    cfg.MODEL.DEVICE = "cpu"
    model = build_model(cfg).eval()
    Checkpointer(model, weights_format=cfg.MODEL.WEIGHTS_FORMAT).load_for_inference(cfg.MODEL.WEIGHTS)
    for r in export_model(model, args.output, args.format, tuple(args.input_size), args.dynamic):
        h, w = r["size"]
        print(f"{h}x{w}: max |logit difference| {r['max_abs_diff']:.3g} (largest |logit| {r['max_abs_logit']:.3g}), "
              f"argmax agrees on {100 * r['argmax_agreement']:.4f}% of pixels")
    print(f"{args.format} written to {args.output}")


if __name__ == "__main__":
    sys.exit(run_tool(main, parser()))
