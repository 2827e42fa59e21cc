"""Embedding quality: a PatternEmbedder trained from scratch on the CPU.

Target (issue 5): from random initialisation, in at most 15 minutes on a
2-core CPU, trained on synthetic pattern patches with the pattern family as
the class; on held-out patches of **unseen items** (fabrics never seen in
training), Recall@1 by family >= 0.90 and k-means NMI >= 0.80 with k = the
number of families. Also a small real sanity check: crops of scikit-image's
brick, grass and gravel photographs should find crops of the same texture.

    python benchmarks/bench_embedding_quality.py
    python benchmarks/bench_embedding_quality.py --quick     # smoke test
    pip install scikit-image                                 # for the real textures
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score  # noqa: E402

import keras_patterns as kp  # noqa: E402
from keras_patterns.utils.callbacks import TimeLimit  # noqa: E402


def real_texture_check(embedder, size):
    try:
        from skimage import data
    except ImportError:
        print("\nreal textures: skipped (pip install scikit-image)")
        return
    rng = np.random.default_rng(0)
    crops, labels = [], []
    for label, name in enumerate(("brick", "grass", "gravel")):
        image = getattr(data, name)()
        image = (
            np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image[..., :3]
        )
        for _ in range(12):
            side = rng.integers(96, 160)
            top = rng.integers(0, image.shape[0] - side)
            left = rng.integers(0, image.shape[1] - side)
            crop = image[top : top + side, left : left + side]
            crops.append(
                keras.ops.convert_to_numpy(
                    keras.ops.image.resize(crop[None].astype("float32"), size)[0]
                ).astype(np.uint8)
            )
            labels.append(label)
    scores = kp.metrics.evaluate_retrieval(
        embedder, (np.stack(crops), np.array(labels))
    )
    print(
        f"\nreal textures (scikit-image brick / grass / gravel, 12 crops each): "
        f"Recall@1 {scores['recall@1']:.3f}, mAP@R {scores['map@r']:.3f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=float, default=14.0, help="training time limit"
    )
    parser.add_argument("--steps", type=int, default=900, help="optimiser steps")
    parser.add_argument("--size", type=int, default=64, help="patch side")
    parser.add_argument("--items", type=int, default=6000, help="training fabrics")
    parser.add_argument(
        "--k", type=int, default=6, help="patches per family in a batch"
    )
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.steps, args.items = 1.0, 6, 320
    families = len(kp.datasets.PATTERN_FAMILIES)
    size = (args.size, args.size)

    start = time.perf_counter()
    side = int(args.size * 1.5)  # room for the random crops of the augmentation
    train = kp.datasets.make_pattern_patches(args.items, (side, side), seed=0)
    held_out = kp.datasets.make_pattern_patches(
        families * (4 if args.quick else 50), size, seed=10_000
    )
    print(
        f"data: {args.items} training fabrics, {len(held_out['images'])} held-out "
        f"patches of unseen fabrics ({time.perf_counter() - start:.0f} s)"
    )
    augment = kp.embedding.pattern_augmentation(size)
    batches = kp.datasets.triplet_dataset(
        train, labels="pattern", p=families, k=args.k, map_fn=augment, seed=0
    )
    embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=128)
    siamese = kp.models.SiameseModel(embedder)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0,
        args.steps,
        warmup_target=args.learning_rate,
        warmup_steps=max(1, args.steps // 20),
    )
    siamese.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4))
    print(
        f"PatternEmbedder(texture_cnn): {embedder.count_params():,} parameters, "
        f"batches of {families} families x {args.k}"
    )
    began = time.perf_counter()
    epochs = 10
    siamese.fit(
        batches,
        epochs=epochs,
        steps_per_epoch=-(-args.steps // epochs),
        callbacks=[TimeLimit(args.minutes * 60)],
        verbose=2,
    )
    steps = int(keras.ops.convert_to_numpy(siamese.optimizer.iterations))
    print(f"trained {steps} steps in {time.perf_counter() - began:.0f} s")

    vectors = embedder.embed(held_out["images"])
    labels = held_out["pattern"]
    scores = kp.metrics.evaluate_retrieval(None, (vectors, labels))
    clusters = KMeans(families, n_init=10, random_state=0).fit_predict(vectors)
    nmi = normalized_mutual_info_score(labels, clusters)
    print(f"\nheld-out unseen fabrics ({len(labels)} patches, {families} families):")
    print(
        f"  Recall@1 {scores['recall@1']:.3f} (target >= 0.90), "
        f"Recall@5 {scores['recall@5']:.3f}, mAP@R {scores['map@r']:.3f}"
    )
    print(
        f"  k-means (k={families}) NMI {nmi:.3f} (target >= 0.80), "
        f"ARI {adjusted_rand_score(labels, clusters):.3f}"
    )
    per_family = [
        (name, (clusters[labels == f][:, None] == clusters[labels == f][None]).mean())
        for f, name in enumerate(kp.datasets.PATTERN_FAMILIES)
    ]
    worst = sorted(per_family, key=lambda item: item[1])[:3]
    print("  least coherent families: " + ", ".join(f"{n} {v:.2f}" for n, v in worst))
    real_texture_check(embedder, size)


if __name__ == "__main__":
    main()
