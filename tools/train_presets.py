"""Trains every preset shipped with keras-patterns, from scratch, on synthetic data.

The presets in `keras_patterns/presets/` are reproducible: this script draws
their training data with `keras_patterns.datasets.make_texture_patches`
(procedural textures only: no real image is used), trains them and writes
each preset folder (`model.keras` and `metadata.json`) with the command,
seed and time it took. With `--val`, it also measures the preset on a set of
real pattern crops (validation only, never trained on) with the same code as
`benchmarks/bench_real_patterns.py`, and records the figures in the
metadata.

    python tools/train_presets.py --val ../shared/data/real_patterns_val.npz

Presets:

* `patterns_synthetic`: a texture-CNN `PatternEmbedder` trained with
  semi-hard triplets on the ten texture families of `TEXTURE_FAMILIES`,
  with colour, scale and rotation augmentation (a pattern and its rotation
  are one pattern).
"""

import argparse
import datetime
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.embedding.training import train_pattern_embedder  # noqa: E402
from keras_patterns.utils.presets import PRESETS_DIR  # noqa: E402
from keras_patterns.utils.presets import preset_metadata  # noqa: E402
from keras_patterns.utils.presets import save_preset  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_real_patterns  # noqa: E402

# The recipe of `patterns_synthetic`; every number here is in its card.
RECIPE = {
    "items": 12000,  # texture items, one 96 x 96 view each
    "source_size": 96,  # crops of 50-100 % of it are resized to `patch_size`
    "patch_size": 64,
    "min_crop": 0.5,
    # Cosine cycles (warm-up, then decay to zero); each draws fresh textures
    # (seed + cycle) and starts from the weights the previous one ended with.
    "cycles": [2400, 2000],
    "p": 10,  # families per batch (all ten)
    "k": 10,  # crops per family in a batch
    "width": 32,
    "embedding_dim": 128,
    "pooling": "gem",
    "learning_rate": 2e-3,
}


def validate(embedder, path, patch_size):
    """NMI (k-means, 3 seeds) and R@1 across sources on real crops."""
    images, labels, sources, _ = bench_real_patterns.load(path)
    vectors = bench_real_patterns.embed(embedder, images, patch_size, flips=True)
    nmi = bench_real_patterns.kmeans_nmi(vectors, labels, 3)
    recall, _ = bench_real_patterns.recall_across_sources(vectors, labels, sources)
    baseline = bench_real_patterns.handcrafted_features(images)
    return {
        "nmi": round(nmi, 3),
        "recall_at_1_across_sources": round(recall, 3),
        "baseline_nmi": round(bench_real_patterns.kmeans_nmi(baseline, labels, 3), 3),
        "baseline_recall_at_1_across_sources": round(
            bench_real_patterns.recall_across_sources(baseline, labels, sources)[0], 3
        ),
        "data": (
            f"{len(images)} real pattern crops ({images.shape[1]} px) of "
            f"{len(np.unique(labels))} families from {len(np.unique(sources))} "
            "source textures, never trained on"
        ),
        "command": (
            "python benchmarks/bench_real_patterns.py --data PATH.npz "
            "--embedder keras_patterns/presets/patterns_synthetic/model.keras"
        ),
    }


def train_patterns_synthetic(seed, cycles, out, val, resume=None, command=()):
    recipe = dict(RECIPE, cycles=cycles or RECIPE["cycles"])
    embedder, first, seconds = None, 0, 0.0
    if resume:  # a preset this script wrote after its first cycles
        embedder = kp.models.PatternEmbedder.from_preset(resume)
        done = preset_metadata(resume)["training"]
        first, seconds = done["cycles_done"], done["seconds"]
    for cycle in range(first, len(recipe["cycles"])):
        began = time.perf_counter()
        data = kp.datasets.make_texture_patches(
            recipe["items"], (recipe["source_size"],) * 2, seed=seed + cycle
        )
        print(f"cycle {cycle + 1}: drew {recipe['items']} textures")
        embedder = train_pattern_embedder(
            data["images"],
            data["family"],
            recipe["cycles"][cycle],
            p=recipe["p"],
            k=recipe["k"],
            size=recipe["patch_size"],
            min_crop=recipe["min_crop"],
            embedding_dim=recipe["embedding_dim"],
            width=recipe["width"],
            pooling=recipe["pooling"],
            rotate=True,
            learning_rate=recipe["learning_rate"],
            initial=embedder,
            seed=seed + cycle,
        )
        seconds += time.perf_counter() - began
        print(f"cycle {cycle + 1} done, {seconds:.0f} s in all")
    metadata = {
        "description": (
            "Texture-CNN pattern embedder (GeM pooling, 128-d), trained from "
            "scratch on synthetic textures only; groups swatches by pattern "
            "family whatever their colour, scale or rotation."
        ),
        "task": "embedder",
        "patch_size": recipe["patch_size"],
        "embedding_dim": recipe["embedding_dim"],
        "trained_on": (
            f"{recipe['items']} procedural textures of the 10 families of "
            "keras_patterns.datasets.TEXTURE_FAMILIES (make_texture_patches, "
            f"seed {seed}); no real image"
        ),
        "recipe": recipe,
        "training": {
            "command": "python "
            + shlex.join(["tools/train_presets.py", *sys.argv[1:]]),
            "seed": seed,
            "seconds": round(seconds),
            "cycles_done": len(recipe["cycles"]),
            "date": datetime.date.today().isoformat(),
            "machine": f"{os.cpu_count()} CPU cores",
            "keras_patterns_version": kp.__version__,
        },
    }
    if val:
        metadata["validation"] = validate(embedder, val, recipe["patch_size"])
        print(metadata["validation"])
    return save_preset(embedder, Path(out) / "patterns_synthetic", metadata)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="data and sampling seed")
    parser.add_argument(
        "--cycles", type=int, nargs="+", help="steps of each cycle (default: recipe)"
    )
    parser.add_argument("--out", default=str(PRESETS_DIR), help="presets folder")
    parser.add_argument("--val", help="real crops (.npz) to measure the preset on")
    parser.add_argument(
        "--resume",
        help="a preset this script wrote with fewer cycles: train the cycles left",
    )
    args = parser.parse_args()
    # What trains it from scratch into the package: without --resume and --out.
    command, skip = [], False
    for word in sys.argv[1:]:
        if not skip and word not in ("--resume", "--out"):
            command.append(word)
        skip = word in ("--resume", "--out")
    path = train_patterns_synthetic(
        args.seed, args.cycles, args.out, args.val, args.resume, command
    )
    print("wrote", path)


if __name__ == "__main__":
    main()
