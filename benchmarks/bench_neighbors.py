"""Build and query time, memory and recall of `NeighborIndex` by catalogue size.

For catalogues of 10k, 100k and 1M clustered random vectors (128-d float32,
1,000 Gaussian clusters, generated in chunks of 10k), times building the
index and answering 1,000 queries (new vectors from the same clusters) with
k = 10, for `method="exact"` and, when faiss is installed, `"flat"` and
`"ivf"` (default `nlist`, `--nprobe`). Recall@10 is the share of the exact
10 neighbours each method finds, averaged over the queries.

Each (size, method) runs in its own process, so its peak resident memory
(`resource.getrusage`, faiss's allocations included) is its own: the table
shows the process's peak and, as "extra", that peak less the peak before
the index was built (the catalogue and the libraries). Timings are read
against a reference float32 matmul measured in the same run (this CPU's
speed swings about 2x over minutes).

    python benchmarks/bench_neighbors.py
    python benchmarks/bench_neighbors.py --sizes 10000 100000   # quicker
    python benchmarks/bench_neighbors.py --metric euclidean --nprobe 16
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

import numpy as np  # noqa: E402
from machine_speed import reference_matmul_gflops  # noqa: E402

CHUNK = 10_000
CLUSTERS = 1000
SPREAD = 0.35  # noise per dimension around a cluster centre of unit variance


def clustered(n, dim, seed, stream):
    """`n` float32 vectors around the same `CLUSTERS` centres, chunk by chunk."""
    centres = np.random.default_rng(seed).normal(size=(CLUSTERS, dim))
    vectors = np.empty((n, dim), np.float32)
    for chunk, start in enumerate(range(0, n, CHUNK)):
        rng = np.random.default_rng([seed, stream, chunk])
        size = min(CHUNK, n - start)
        labels = rng.integers(0, CLUSTERS, size)
        noise = rng.normal(scale=SPREAD, size=(size, dim))
        vectors[start : start + size] = centres[labels] + noise
    return vectors


def peak_mib():
    """This process's peak resident memory, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(args):
    """One (size, method) in this process: prints its numbers as JSON."""
    from keras_patterns.clustering import NeighborIndex

    catalogue = clustered(args.one, args.dim, args.seed, stream=0)
    queries = clustered(args.queries, args.dim, args.seed, stream=1)
    before = peak_mib()
    start = time.perf_counter()
    index = NeighborIndex(
        metric=args.metric, method=args.method, nprobe=args.nprobe
    ).fit(catalogue)
    built = time.perf_counter() - start
    start = time.perf_counter()
    _, indices = index.kneighbors(queries, args.k)
    queried = time.perf_counter() - start
    np.save(args.out, indices)
    result = {
        "build": built,
        "query": queried,
        "peak": peak_mib(),
        "extra": peak_mib() - before,
        "nlist": index.nlist_,
    }
    print(json.dumps(result))


def run_one(args, size, method, folder):
    out = Path(folder) / f"{size}_{method}.npy"
    command = [sys.executable, __file__, "--one", str(size), "--method", method]
    command += ["--out", str(out), "--metric", args.metric, "--k", str(args.k)]
    command += ["--dim", str(args.dim), "--queries", str(args.queries)]
    command += ["--nprobe", str(args.nprobe), "--seed", str(args.seed)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{method} at {size} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(out)


def recall(found, truth):
    hits = [len(np.intersect1d(a, b)) for a, b in zip(found, truth, strict=True)]
    return float(np.mean(hits)) / truth.shape[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--metric", choices=["cosine", "euclidean"], default="cosine")
    parser.add_argument("--nprobe", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", default="exact", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return measure(args)
    try:
        import faiss  # noqa: F401

        methods = ["exact", "flat", "ivf"]
    except ImportError:
        methods = ["exact"]
        print(
            'faiss is not installed: exact only (pip install "keras-patterns[faiss]")'
        )
    print(
        f"{args.dim}-d float32, {CLUSTERS} clusters, {args.queries} queries, "
        f"k = {args.k}, {args.metric}, nprobe {args.nprobe}, {os.cpu_count()} CPUs; "
        f"reference float32 matmul: {reference_matmul_gflops():.0f} GFLOP/s"
    )
    print(
        f"{'vectors':>9} {'method':>6} {'nlist':>6} {'build':>9} {'query':>9} "
        f"{'ms/query':>9} {'recall@' + str(args.k):>10} {'peak MiB':>9} "
        f"{'extra MiB':>10}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            truth = None
            for method in methods:
                numbers, found = run_one(args, size, method, folder)
                truth = found if truth is None else truth
                nlist = numbers["nlist"] or "-"
                print(
                    f"{size:>9} {method:>6} {nlist:>6} {numbers['build']:>8.2f}s "
                    f"{numbers['query']:>8.2f}s "
                    f"{numbers['query'] / args.queries * 1e3:>9.3f} "
                    f"{recall(found, truth):>10.3f} {numbers['peak']:>9.0f} "
                    f"{numbers['extra']:>10.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
