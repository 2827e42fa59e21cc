"""Cluster pattern embeddings with k-means (stage 5), choosing k by silhouette.

    python examples/cluster_embeddings.py --out km_out
    python examples/cluster_embeddings.py --embedder emb_out/embedder.keras --out km_out
    python examples/cluster_embeddings.py --quick --out /tmp/km          # CI size

Embeds synthetic fabric patches (a saved embedder, or one trained here),
fits `KMeans(n_clusters="auto", metric="cosine")`, prints the chosen k and
the agreement with the true families, and saves `OUT/k_scores.png` (the
silhouette and inertia by k) and `OUT/embedding_map.png` (the embeddings'
first two principal components, by group).
"""

import argparse
from pathlib import Path

import keras
from sklearn.metrics import normalized_mutual_info_score

import keras_patterns as kp
from keras_patterns.apps import recipes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", help="a saved PatternEmbedder (.keras)")
    parser.add_argument("--out", default="km_out")
    parser.add_argument("--steps", type=int, default=400, help="training steps")
    parser.add_argument("--quick", action="store_true", help="small run (CI)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.embedder:
        embedder = keras.saving.load_model(args.embedder, safe_mode=True)
    else:
        embedder = recipes.train_embedder(
            3 if args.quick else args.steps,
            items=160 if args.quick else 4000,
            size=32 if args.quick else 64,
        )
    size = embedder.input_shape[1] or 64
    data = kp.datasets.make_pattern_patches(
        64 if args.quick else 480, (size, size), seed=9
    )
    vectors = embedder.embed(data["images"])
    k_range = (2, 8) if args.quick else (8, 24)
    kmeans = kp.clustering.KMeans(
        "auto", k_range=k_range, metric="cosine", random_state=0
    )
    labels = kmeans.fit_predict(vectors)
    nmi = normalized_mutual_info_score(data["pattern"], labels)
    print(
        f"chosen k = {kmeans.n_clusters_} (the data has "
        f"{len(set(data['pattern']))} families); NMI {nmi:.3f}"
    )
    print(
        "silhouette by k: "
        + ", ".join(f"{k}: {s:.3f}" for k, s in kmeans.k_scores_.items())
    )
    kp.clustering.elbow_plot(kmeans, path=out / "k_scores.png")
    kp.clustering.embedding_map(vectors, labels, out / "embedding_map.png")
    print(f"saved {out / 'k_scores.png'} and {out / 'embedding_map.png'}")


if __name__ == "__main__":
    main()
