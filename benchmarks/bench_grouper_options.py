"""What the grouper's options buy: patches per photo, garment prior, flip views.

Takes a fitted grouper and the catalogue it was fitted on (both written by
`keras-patterns demo --out demo_out`) and groups the catalogue again with
one option changed at a time, the models fixed. Each variant's embeddings
are clustered by k-means (as many groups as pattern families, cosine, 10
restarts) with several seeds, and scored against the true pattern
families: mean NMI and ARI over the seeds, the photos that yielded no
patch, and the seconds the grouping took.

    keras-patterns demo --out demo_out
    python benchmarks/bench_grouper_options.py --demo demo_out
"""

import argparse
import csv
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score  # noqa: E402

import keras_patterns as kp  # noqa: E402

VARIANTS = {
    "as saved": {},
    "1 patch per photo": {"patches_per_item": 1},
    "3 patches per photo": {"patches_per_item": 3},
    "5 patches per photo": {"patches_per_item": 5},
    "no garment prior": {"garment_prior": 0.0},
    "garment prior 1.5": {"garment_prior": 1.5},
    "no flip views": {"flip_views": False},
    "2 flip views": {"flip_views": 2},
    "flip views": {"flip_views": True},
}


def read_catalogue(demo):
    with open(demo / "catalogue.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    files = [str(demo / "catalogue" / row["file"]) for row in rows]
    families = kp.datasets.PATTERN_FAMILIES
    return (
        files,
        [row["garment"] for row in rows],
        [families.index(row["pattern"]) for row in rows],
    )


def scores(result, truth, seeds):
    ok = result.assignments >= 0
    vectors, truth = result.embeddings, np.asarray(truth)[ok]
    nmi, ari = [], []
    for seed in range(seeds):
        found = kp.clustering.KMeans(
            len(kp.datasets.PATTERN_FAMILIES),
            metric="cosine",
            n_init=10,
            random_state=seed,
        ).fit_predict(vectors)
        nmi.append(normalized_mutual_info_score(truth, found))
        ari.append(adjusted_rand_score(truth, found))
    return float(np.mean(nmi)), float(np.mean(ari)), int((~ok).sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", default="demo_out", help="a demo's output folder")
    parser.add_argument("--seeds", type=int, default=8, help="k-means seeds")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    args = parser.parse_args()
    demo = Path(args.demo)
    files, garments, truth = read_catalogue(demo)
    saved = kp.PatternGrouper.load(demo / "grouper", progress=False)
    print(
        f"{len(files)} photos; saved settings: patches_per_item="
        f"{saved.patches_per_item}, garment_prior={saved.garment_prior}, "
        f"flip_views={saved.flip_views}; mean of {args.seeds} k-means seeds"
    )
    print(f"{'variant':22s} {'NMI':>6s} {'ARI':>6s} {'no patch':>8s} {'seconds':>8s}")
    for name in args.variants:
        grouper = kp.PatternGrouper.load(demo / "grouper", progress=False)
        for key, value in VARIANTS[name].items():
            setattr(grouper, key, value)
        start = time.perf_counter()
        result = grouper.group(files, garments=garments)
        seconds = time.perf_counter() - start
        nmi, ari, failed = scores(result, truth, args.seeds)
        print(
            f"{name:22s} {nmi:6.3f} {ari:6.3f} {failed:8d} {seconds:8.1f}", flush=True
        )


if __name__ == "__main__":
    main()
