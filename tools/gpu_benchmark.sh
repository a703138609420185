#!/usr/bin/env bash
# The GPU benchmark of issue 16, for a machine with torch/torchvision but without fvcore, iopath, yacs
# (and maybe OpenCV): their wheels travel in .whl/ (built here with
#   pip wheel --no-deps -w .whl fvcore iopath yacs portalocker termcolor tabulate
#   pip download --no-deps -d .whl opencv-python-headless)
# and are installed without an index. Results go to $OUT (or ./gpu_out). About 5-8 minutes on an H100
# (estimate; compile adds 1-3). With the session run tool: command "bash tools/gpu_benchmark.sh", carry [".whl"].
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu_out}
mkdir -p "$OUT"
python -c "import fvcore, iopath, yacs, tabulate, cv2" 2>/dev/null || \
  pip install -q --no-index --no-deps --find-links .whl fvcore iopath yacs portalocker termcolor tabulate \
    $(python -c "import cv2" 2>/dev/null || echo opencv-python-headless)
pip install -q --no-deps --no-build-isolation -e .  # the projects install under seg_engine_projects (entry points)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$OUT/gpu.txt"
# The evaluator per image on the GPU, before (the parent of the speed branch) and after, interleaved.
# (the "before" file: .whl/sem_seg_evaluation_before.py when carried, since a copied worktree has no git history)
if cp .whl/sem_seg_evaluation_before.py "$OUT/" 2>/dev/null || \
   git show d6154cb:seg_engine/evaluation/sem_seg_evaluation.py > "$OUT/sem_seg_evaluation_before.py" 2>/dev/null; then
  python tools/benchmark_evaluator.py --device cuda --rounds 50 --baseline-file "$OUT/sem_seg_evaluation_before.py" \
    | tee "$OUT/evaluator.json"
else
  python tools/benchmark_evaluator.py --device cuda --rounds 50 | tee "$OUT/evaluator.json"
fi
python tools/gpu_benchmark.py --out "$OUT/gpu_benchmark.json" --iters "${ITERS:-20}" 2>&1 | tee "$OUT/gpu_benchmark.log"
