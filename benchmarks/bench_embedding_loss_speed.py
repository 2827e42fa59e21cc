"""Speed of the triplet losses against a TensorFlow Addons-style vectorised peer.

For batch sizes 256 to 4,096 (embeddings of 128, 8 examples per label), times
one evaluation of `TripletSemiHardLoss` (eagerly, op by op, and compiled) and
`TripletBatchAllLoss` (compiled) next to the peer, in the same run: the
semi-hard loss as TensorFlow Addons computed it (`triplet_reference.py`, in
`keras.ops`), compiled the same way. Compiled means `tf.function` on
TensorFlow and `jax.jit` on JAX, which is how `fit` runs a loss; on torch
both run eagerly.

Memory: ours works on the `(B, B)` distance matrix, O(B^2) (64 MiB per float32
matrix at B = 4,096); the TFA-style peer compares every (anchor, positive,
negative) triple in a tiled `(B * B, B)` matrix, O(B^3): about four float32
such matrices live at once (measured peak, `16 B^3` bytes: 2 GiB at B = 512,
16 GiB at B = 1,024). Rows where it would need more than `--max-gib` print
"skipped (needs X GiB)" in its place.

Both losses use the same distance (`--distance`; TFA's own default, `"L2"`, is
the unsquared one) and margin 0.2; `|difference|` is between the two compiled
results. At the smallest size both are also checked against a naive
per-anchor Python loop (NumPy inside the loop), which is not timed. Per row,
GFLOP/s is ours (compiled) counting only its distance matmul (`2 B^2 D`
FLOPs), read against a reference NumPy float32 matmul measured in the same
run (this CPU's speed swings about 2x over minutes).

    python benchmarks/bench_embedding_loss_speed.py
    python benchmarks/bench_embedding_loss_speed.py --sizes 256 512 1024   # quicker
    KERAS_BACKEND=jax python benchmarks/bench_embedding_loss_speed.py --sizes 256 512
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from machine_speed import reference_matmul_gflops  # noqa: E402
from triplet_reference import tfa_style_semi_hard_loss  # noqa: E402

import keras_patterns as kp  # noqa: E402

MARGIN = 0.2
PER_LABEL = 8


def naive_semi_hard(labels, x, margin, squared=True):
    """FaceNet's semi-hard rule, one anchor at a time (correctness check)."""
    norms = (x**2).sum(1)
    total, count = 0.0, 0
    for a in range(len(x)):
        d = norms[a] + norms - 2 * x @ x[a]
        if not squared:
            d = np.sqrt(np.maximum(d, 0.0))
        positives = np.nonzero((labels == labels[a]) & (np.arange(len(x)) != a))[0]
        negatives = d[labels != labels[a]]
        if not len(negatives):
            continue
        for p in positives:
            farther = negatives[negatives > d[p]]
            negative = farther.min() if len(farther) else negatives.max()
            total += max(d[p] - negative + margin, 0.0)
            count += 1
    return total / max(count, 1)


def compiled(loss):
    """The loss as `fit` runs it: a traced graph, not op by op."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda y, x: loss(y, x))
    if backend == "jax":
        import jax

        return jax.jit(lambda y, x: loss(y, x))
    return loss


def best_time(fn, args, repeats):
    """Best-of-`repeats` seconds of `fn(*args)` after a warm-up, and its value."""
    value = float(keras.ops.convert_to_numpy(fn(*args)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        float(keras.ops.convert_to_numpy(fn(*args)))
        times.append(time.perf_counter() - start)
    return min(times), value


def tfa_style_gib(size):
    """GiB the TFA-style peer needs: four float32 `(B * B, B)` matrices."""
    return 4 * 4 * size**3 / 2**30


def batch(size, dim):
    """`size` unit-norm embeddings of `dim` and their labels, 8 per label."""
    rng = np.random.default_rng(size)
    x = rng.normal(size=(size, dim)).astype("float32")
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.repeat(np.arange(size // PER_LABEL), PER_LABEL), x


def check_against_naive(losses, size, dim, squared):
    """`|loss - naive loop|` of each of `losses` (name: fn) at one size."""
    labels, x = batch(size, dim)
    naive = naive_semi_hard(labels, x, MARGIN, squared)
    return ", ".join(
        f"|{name} - naive| {abs(float(loss(labels, x)) - naive):.1e}"
        for name, loss in losses.items()
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096]
    )
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--distance", choices=["squared_l2", "l2"], default="squared_l2"
    )
    parser.add_argument(
        "--max-gib", type=float, default=4.0, help="memory cap of the TFA-style peer"
    )
    args = parser.parse_args()
    squared = args.distance == "squared_l2"
    semi_hard = kp.losses.TripletSemiHardLoss(MARGIN, distance=args.distance)
    batch_all = kp.losses.TripletBatchAllLoss(MARGIN, distance=args.distance)
    semi_hard_graph = compiled(semi_hard)
    batch_all_graph = compiled(batch_all)
    peer_graph = compiled(
        lambda y, x: tfa_style_semi_hard_loss(y, x, MARGIN, squared=squared)
    )
    print(
        f"{keras.backend.backend()} backend, embeddings of {args.dim}, "
        f"K = {PER_LABEL} per label, {args.distance} distances, margin {MARGIN}, "
        f"best of {args.repeats}"
        + ("; torch: nothing is compiled" if keras.backend.backend() == "torch" else "")
    )
    print(f"reference float32 matmul: {reference_matmul_gflops():.0f} GFLOP/s")
    smallest = min(args.sizes)
    print(
        f"check at batch {smallest}: "
        + check_against_naive(
            {"ours": semi_hard_graph, "TFA-style": peer_graph},
            smallest,
            args.dim,
            squared,
        )
    )
    print(
        "speed-up: TFA-style / ours, both compiled; GFLOP/s: ours compiled, "
        "distance matmul only; |difference|: |ours - TFA-style|, compiled"
    )
    print(
        f"{'batch':>6} {'ours eager':>11} {'ours compiled':>14} "
        f"{'batch-all compiled':>19} {'TFA-style vectorised compiled':>30} "
        f"{'speed-up':>9} {'GFLOP/s':>8} {'|difference|':>13}"
    )
    for size in args.sizes:
        labels, x = batch(size, args.dim)
        ours, _ = best_time(semi_hard, (labels, x), args.repeats)
        ours_graph, value = best_time(semi_hard_graph, (labels, x), args.repeats)
        every_graph, _ = best_time(batch_all_graph, (labels, x), args.repeats)
        gflops = 2 * size**2 * args.dim / ours_graph / 1e9
        row = (
            f"{size:>6} {ours * 1e3:>9.1f}ms {ours_graph * 1e3:>12.1f}ms "
            f"{every_graph * 1e3:>17.1f}ms"
        )
        needs = tfa_style_gib(size)
        if needs > args.max_gib:
            skipped = f"skipped (needs {needs:.0f} GiB)"
            print(f"{row} {skipped:>30} {'-':>9} {gflops:>8.1f} {'-':>13}")
            continue
        peer, peer_value = best_time(peer_graph, (labels, x), args.repeats)
        print(
            f"{row} {peer * 1e3:>28.1f}ms {peer / ours_graph:>8.1f}x "
            f"{gflops:>8.1f} {abs(value - peer_value):>13.1e}"
        )


if __name__ == "__main__":
    main()
