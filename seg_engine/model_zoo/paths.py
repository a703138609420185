"""Where the zoo's generated files are: MODEL_ZOO.md and its FLOPs cache at the repository's root."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARKDOWN_PATH = os.path.join(ROOT, "MODEL_ZOO.md")
FLOPS_CACHE_PATH = os.path.join(ROOT, "MODEL_ZOO.flops.json")
# Where a recipe has no training crop (whole images), FLOPs are counted at this size.
DEFAULT_FLOPS_SIZE = (512, 512)
