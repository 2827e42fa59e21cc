"""Catalogue scale: time and peak memory of grouping 10k to 1M products.

Two measurements, each size in its own subprocess so that its peak
resident memory (`ru_maxrss`) is its own:

- **patches**: the preset grouper (`patterns_synthetic`, one view per
  patch) groups a *generator* of 64x64 swatches made on the fly (the
  caller holds no catalogue), writing the embeddings to a `.npy` as they
  come: `fit_group(generator, embeddings_path=...)`, which embeds, picks k
  on a sample, clusters every vector and indexes them for `similar`, then
  1,000 `similar` queries on the embeddings. Per size: seconds per 1,000
  products and peak memory above the process's baseline, next to what the
  embeddings themselves take.
- **embeddings**: the same clustering and search from precomputed 128-d
  unit embeddings on disk (a mixture of 40 pattern directions), so the
  sizes reach a million: `KMeans("auto", metric="cosine")` fitted on the
  memory-mapped file (candidate k scored on a 20,000-vector sample, the
  chosen k fitted on all), the assignment in blocks, a `NeighborIndex`
  built and 1,000 queries of 10 neighbours.

Time should grow linearly with N and memory stay flat apart from the
embeddings (N x 128 x 4 bytes).

    python benchmarks/bench_catalogue_scale.py
    python benchmarks/bench_catalogue_scale.py --patches 10000 100000 \\
        --embeddings 10000 100000 1000000
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DIM = 128
DIRECTIONS = 12
QUERIES = 1000


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_embeddings(path, count, seed=0, chunk=50_000):
    """Unit vectors around `DIRECTIONS` random directions, written in chunks."""
    import numpy as np

    from keras_patterns.utils.io import NpyWriter

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(DIRECTIONS, DIM))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = []
    with NpyWriter(path) as writer:
        for start in range(0, count, chunk):
            size = min(chunk, count - start)
            family = rng.integers(0, DIRECTIONS, size)
            rows = centres[family] + rng.normal(0, 0.6 / np.sqrt(DIM), (size, DIM))
            writer.append(rows / np.linalg.norm(rows, axis=1, keepdims=True))
            labels.append(family)
    return np.concatenate(labels)


def cluster_and_search(grouper_like, embeddings, queries):
    """The clustering and search a fitted grouper does after embedding."""
    import numpy as np

    from keras_patterns.clustering import KMeans
    from keras_patterns.clustering import NeighborIndex

    times = {}
    began = time.perf_counter()
    model = KMeans("auto", k_range=(2, 20), metric="cosine", random_state=0)
    model.fit(embeddings)
    times["cluster"] = time.perf_counter() - began
    began = time.perf_counter()
    labels = np.concatenate(
        [
            model.predict(np.asarray(embeddings[i : i + 65536]))
            for i in range(0, len(embeddings), 65536)
        ]
    )
    times["assign"] = time.perf_counter() - began
    began = time.perf_counter()
    index = NeighborIndex(metric="cosine").fit(embeddings)
    times["index"] = time.perf_counter() - began
    began = time.perf_counter()
    index.kneighbors(queries, 10)
    times["search"] = time.perf_counter() - began
    return model, labels, index, times


def worker_embeddings(count, folder):
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    base = peak_mb()
    path = Path(folder) / f"embeddings_{count}.npy"
    truth = synthetic_embeddings(path, count)
    base = max(base, peak_mb())
    embeddings = np.load(path, mmap_mode="r")
    queries = np.asarray(embeddings[:QUERIES])
    model, labels, index, times = cluster_and_search(None, embeddings, queries)
    return {
        "n": count,
        "k": int(model.n_clusters_),
        "ari": float(adjusted_rand_score(truth, labels)),
        "method": index.method_,
        **times,
        "peak_mb": peak_mb() - base,
        "embeddings_mb": count * DIM * 4 / 2**20,
    }


def worker_patches(count, folder):
    import numpy as np

    import keras_patterns as kp

    tiles = kp.datasets.make_pattern_patches(256, (64, 64), seed=0)["images"]
    grouper = kp.PatternGrouper.from_preset(
        "patterns_synthetic", flip_views=False, batch_size=256, progress=False
    )
    grouper.embed(list(tiles))  # traces the forward pass, at the chunk's size
    base = peak_mb()

    def swatches():  # made on the fly: 256 patterns, shifted
        for i in range(count):
            yield np.roll(tiles[i % 256], (i // 256) % 64, axis=1)

    began = time.perf_counter()
    path = Path(folder) / f"patch_embeddings_{count}.npy"
    result = grouper.fit_group(swatches(), embeddings_path=path)
    total = time.perf_counter() - began
    queries = [np.roll(tiles[i % 256], 3, axis=0) for i in range(QUERIES)]
    began = time.perf_counter()
    grouper.similar(queries, k=10)
    similar = time.perf_counter() - began
    timings = result.timings
    return {
        "n": count,
        "k": len(result.groups),
        "seconds": total,
        "embed": timings["embed"],
        "cluster": timings["cluster"],
        "similar_1000": similar,
        "peak_mb": peak_mb() - base,
        "embeddings_mb": count * DIM * 4 / 2**20,
    }


def run_worker(kind, count):
    command = [sys.executable, __file__, "--worker", kind, str(count)]
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode:
        sys.stderr.write(output.stderr[-3000:])
        raise SystemExit(f"{kind} {count} failed")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument(
        "--embeddings", type=int, nargs="*", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, count = args.worker[0], int(args.worker[1])
        with tempfile.TemporaryDirectory() as folder:
            work = worker_patches if kind == "patches" else worker_embeddings
            print(json.dumps(work(count, folder)))
        return
    import keras

    print(f"{keras.backend.backend()} backend, {os.cpu_count()} CPUs")
    if args.patches:
        print("\n== patch inputs: a generator through the preset grouper ==")
        print(
            f"{'products':>9} {'groups':>6} {'s total':>8} {'ms/item':>8} "
            f"{'embed s':>8} {'cluster s':>9} {'similar 1k':>10} "
            f"{'peak MB':>8} {'emb. MB':>8} {'KB/item':>8}"
        )
        previous = None
        for count in args.patches:
            row = run_worker("patches", count)
            # Memory per product: the growth of the peak from the previous
            # size (the first size's peak holds the constant part: a chunk
            # of images, the models' activations, the k search's sample).
            growth = "-"
            if previous is not None:
                added = row["peak_mb"] - previous["peak_mb"]
                growth = f"{1024 * added / (row['n'] - previous['n']):.2f}"
            print(
                f"{row['n']:>9} {row['k']:>6} {row['seconds']:>8.1f} "
                f"{1000 * row['seconds'] / row['n']:>8.2f} {row['embed']:>8.1f} "
                f"{row['cluster']:>9.1f} {row['similar_1000']:>10.1f} "
                f"{row['peak_mb']:>8.0f} {row['embeddings_mb']:>8.1f} {growth:>8}",
                flush=True,
            )
            previous = row
    if args.embeddings:
        print("\n== precomputed embeddings on disk: cluster, assign, index, search ==")
        print(
            f"{'products':>9} {'k':>3} {'ARI':>5} {'cluster s':>9} {'assign s':>8} "
            f"{'index s':>8} {'search 1k s':>11} {'method':>6} "
            f"{'peak MB':>8} {'emb. MB':>8}"
        )
        for count in args.embeddings:
            row = run_worker("embeddings", count)
            print(
                f"{row['n']:>9} {row['k']:>3} {row['ari']:>5.2f} "
                f"{row['cluster']:>9.1f} {row['assign']:>8.1f} {row['index']:>8.1f} "
                f"{row['search']:>11.2f} {row['method']:>6} "
                f"{row['peak_mb']:>8.0f} {row['embeddings_mb']:>8.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
