"""Speed of the triplet losses against a naive per-anchor implementation.

For batch sizes 256 to 4,096 (embeddings of 128), times one evaluation of
`TripletSemiHardLoss` and `TripletBatchAllLoss` (vectorised over the B x B
distance matrix, O(B^2) memory) next to a straightforward implementation
that loops over anchors in Python (NumPy inside the loop), in the same run.
The losses are timed eagerly (op by op) and compiled (`tf.function` on
TensorFlow, `jax.jit` on JAX), which is how `fit` runs them.

    python benchmarks/bench_embedding_loss_speed.py
    python benchmarks/bench_embedding_loss_speed.py --sizes 256 1024   # quicker
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_patterns as kp  # noqa: E402


def naive_semi_hard(labels, x, margin):
    """FaceNet's semi-hard rule, one anchor at a time."""
    squared = (x**2).sum(1)
    total, count = 0.0, 0
    for a in range(len(x)):
        d = squared[a] + squared - 2 * x @ x[a]
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
    float(keras.ops.convert_to_numpy(fn(*args)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        float(keras.ops.convert_to_numpy(fn(*args)))
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096]
    )
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    semi_hard = kp.losses.TripletSemiHardLoss(0.2)
    batch_all = kp.losses.TripletBatchAllLoss(0.2)
    print(
        f"{keras.backend.backend()} backend, embeddings of {args.dim}, "
        "K = 8 per label, "
        f"best of {args.repeats}; speed-up: naive loop / compiled semi-hard"
    )
    print(
        f"{'batch':>6} {'semi-hard':>11} {'compiled':>11} {'batch-all':>11} "
        f"{'compiled':>11} {'naive loop':>11} {'speed-up':>9}"
    )
    for size in args.sizes:
        rng = np.random.default_rng(size)
        x = rng.normal(size=(size, args.dim)).astype("float32")
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        labels = np.repeat(np.arange(size // 8), 8)
        ours = best_time(semi_hard, (labels, x), args.repeats)
        ours_graph = best_time(compiled(semi_hard), (labels, x), args.repeats)
        every = best_time(batch_all, (labels, x), args.repeats)
        every_graph = best_time(compiled(batch_all), (labels, x), args.repeats)
        naive = best_time(naive_semi_hard, (labels, x, 0.2), 2)
        check = abs(float(semi_hard(labels, x)) - naive_semi_hard(labels, x, 0.2))
        print(
            f"{size:>6} {ours * 1e3:>9.1f}ms {ours_graph * 1e3:>9.1f}ms "
            f"{every * 1e3:>9.1f}ms {every_graph * 1e3:>9.1f}ms {naive * 1e3:>9.1f}ms "
            f"{naive / ours_graph:>8.1f}x   (|difference| {check:.1e})"
        )


if __name__ == "__main__":
    main()
