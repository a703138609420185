#!/usr/bin/env python
"""Predict an image, a folder, a glob or a video with a trained model and the config's test protocol:

    python tools/predict.py --config-file output/x/config.yaml --weights output/x/model_final.pth \\
        --input path/or/folder/or/'*.jpg' --output predictions/ [--opacity 0.5] [--save-scores] [--strict]
    python tools/predict.py --model pspnet_r50-d8_4xb4-80k_ade20k-512x512 --input ... --output ...

--model names a trained model (python tools/model_zoo.py --pretrained lists them): its recipe, weights (downloaded
once), classes and palette.

Writes predictions/labels/<name>.png (class ids), predictions/overlay/<name>.png and, with
--save-scores, predictions/scores/<name>.npy. An input that cannot be read is named in one line and
skipped; the exit status is then 2 (with --strict the first one stops the run).
"""
import sys

from seg_engine import SegModel
from seg_engine.deploy import predict_to_folder
from seg_engine.utils.cli import config_of, run_tool, tool_parser


def parser():
    p = tool_parser("predict.py", __doc__.splitlines()[0])
    p.add_argument("--weights", help="the checkpoint (MODEL.WEIGHTS); with --model, the trained model's unless given")
    p.add_argument("--input", required=True, help="an image, a folder (searched recursively), a glob or a video")
    p.add_argument("--output", required=True, help="the folder to write into")
    p.add_argument("--opacity", type=float, default=0.5, help="of the colours in the overlay (0..1)")
    p.add_argument("--save-scores", action="store_true", help="also write the C x H x W scores as .npy (float16)")
    p.add_argument("--strict", action="store_true", help="stop at the first input that cannot be read")
    return p


def main(args):
    if not (args.weights or args.model):
        raise ValueError("--config-file needs --weights (the checkpoint to predict with)")
    model = SegModel(config_of(args, weights=args.weights))
    report = predict_to_folder(model, args.input, args.output, args.opacity, args.save_scores, strict=args.strict)
    print(f"{len(report.written)} predictions written to {args.output}")
    if report.skipped:
        total = len(report.written) + len(report.skipped)
        raise ValueError(f"{len(report.skipped)} of {total} inputs skipped (each named above); "
                         f"the other {len(report.written)} were predicted")


if __name__ == "__main__":
    sys.exit(run_tool(main, parser()))
