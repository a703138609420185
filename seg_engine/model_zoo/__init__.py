"""The model zoo: one row per recipe of every installed project, generated from the recipes.

``list()`` builds each recipe's model on the meta device (parameters without memory), reads its schedule from the
config, its published numbers from the project's ``configs/published.yaml`` (numbers that papers and toolboxes
published, NOT reproduced here) and its FLOPs from the cache ``MODEL_ZOO.flops.json`` at the repository root.
FLOPs need real tensors (seconds per full-size model on a CPU), so they are computed only with ``flops=True`` for
models missing from the cache; the cache is keyed by a hash of the network's structure (modules and tensor shapes)
and the input size, so a change of a model misses it. ``tools/model_zoo.py --markdown`` regenerates
``MODEL_ZOO.md`` and the cache.
"""
from .flops import architecture_hash, build_on_meta, compute_flops, count_parameters, flops_key, model_key, read_flops_cache, write_flops_cache
from .markdown import COLUMNS, MARKDOWN_HEADER, table_rows, to_markdown
from .paths import DEFAULT_FLOPS_SIZE, FLOPS_CACHE_PATH, MARKDOWN_PATH, ROOT
from .published import PUBLISHED_FILE, Published, PublishedScore, load_published
from .recipes import installed_recipes, load_recipe, recipe_paths
from .rows import ModelZooRow, list, repository_path

__all__ = [
    "COLUMNS", "DEFAULT_FLOPS_SIZE", "FLOPS_CACHE_PATH", "MARKDOWN_HEADER", "MARKDOWN_PATH", "PUBLISHED_FILE", "ROOT",
    "ModelZooRow", "Published", "PublishedScore", "architecture_hash", "build_on_meta", "compute_flops",
    "count_parameters", "flops_key", "installed_recipes", "list", "load_published", "load_recipe", "model_key",
    "read_flops_cache", "recipe_paths", "repository_path", "table_rows", "to_markdown", "write_flops_cache",
]
