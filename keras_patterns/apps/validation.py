"""Measuring an embedder on real pattern crops, split in halves by source.

The demo and the training tools measure embedders on a set of real pattern
crops that nothing is trained on (an `.npz` with `images` `(N, H, W, 3)`
uint8, `labels` into `class_names` and `source_ids`, the source texture of
each crop). The set is split by source texture (`split_by_source`): recipes
are chosen on the **selection** half, and the **report** half, which no
choice saw, gives the figure to quote.
"""

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.utils.images import resize_image
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike

# The four flips of a crop: an embedding averaged over them ignores mirroring.
FLIPS = [(slice(None, None, r), slice(None, None, c)) for r in (1, -1) for c in (1, -1)]


def load_real_crops(path: PathLike) -> dict[str, np.ndarray]:
    """The arrays of a real-crops `.npz`: `images`, `labels`, `source_ids`
    and `class_names`.

    Args:
        path: the `.npz` file.

    Returns:
        A dict of NumPy arrays.

    Raises:
        ValueError: naming the file and the missing array.
    """
    with np.load(Path(path)) as data:
        missing = [
            key
            for key in ("images", "labels", "source_ids", "class_names")
            if key not in data.files
        ]
        if missing:
            raise ValueError(
                f"{path}: a real-crops file needs the arrays images, labels, "
                f"source_ids and class_names. Missing: {missing}; found {data.files}"
            )
        return {key: data[key] for key in data.files}


def split_by_source(
    labels: ArrayLike, sources: ArrayLike, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """`(selection, report)` boolean masks: the set split in two by source.

    Each family's source textures are shuffled (`seed`) and dealt in turn to
    the report half, then the selection half, then the report half...: no
    source is in both, every family is in the report half (a family with a
    single source is there whole), and a family with several sources is in
    both.

    Args:
        labels: `(N,)` family of each item.
        sources: `(N,)` source texture of each item.
        seed: the shuffle's seed.

    Returns:
        Two `(N,)` boolean arrays, complements of each other.

    Example:

    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 0, 1, 1])
    >>> sources = np.array(["a", "a", "b", "c", "d", "d"])
    >>> selection, report = split_by_source(labels, sources)
    >>> bool(set(sources[selection]) & set(sources[report]))
    False
    >>> sorted(set(labels[report].tolist()))  # every family is reported
    [0, 1]
    """
    labels, sources = np.asarray(labels), np.asarray(sources)
    rng = np.random.default_rng(seed)
    report = np.zeros(len(labels), bool)
    for family in np.unique(labels):
        families_sources = rng.permutation(np.unique(sources[labels == family]))
        report |= np.isin(sources, families_sources[0::2])
    return ~report, report


def embed_crops(
    embedder: Any, images: ArrayLike, size: int | None, flips: bool = True
) -> np.ndarray:
    """Embeddings of `images` resized to `size`, averaged over the four
    flips (or of the images as they are with `flips=False`)."""
    images = np.asarray(images)
    if size and images.shape[1] != size:
        images = np.stack([resize_image(i, (size, size)) for i in images])
    views = FLIPS if flips else FLIPS[:1]
    return np.mean([embedder.embed(images[(slice(None), *v)]) for v in views], 0)


def kmeans_nmi(vectors: ArrayLike, labels: ArrayLike, seeds: int = 3) -> float:
    """NMI of cosine k-means (k = the families) against `labels`, the mean
    over `seeds` k-means seeds."""
    labels = np.asarray(labels)
    k = len(np.unique(labels))
    scores = []
    for seed in range(seeds):
        found = KMeans(k, metric="cosine", n_init=10, random_state=seed).fit_predict(
            np.asarray(vectors)
        )
        scores.append(normalized_mutual_info_score(labels, found))
    return float(np.mean(scores))


def nearest_across_sources(vectors: ArrayLike, sources: ArrayLike) -> np.ndarray:
    """Each item's nearest neighbour (cosine) among items of other sources.

    Example:

    >>> import numpy as np
    >>> vectors = np.array([[1, 0], [1, 0], [0.9, 0.1], [0, 1]])
    >>> nearest_across_sources(vectors, ["a", "a", "b", "c"]).tolist()
    [2, 2, 0, 2]
    """
    vectors, sources = np.asarray(vectors, np.float64), np.asarray(sources)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T
    similarity[sources[:, None] == sources[None, :]] = -np.inf
    return similarity.argmax(1)


def recall_across_sources(
    vectors: ArrayLike, labels: ArrayLike, sources: ArrayLike
) -> tuple[float, int]:
    """R@1 across sources and the number of items it counts.

    For each item whose family has at least two sources, whether its nearest
    neighbour (cosine) among items of *other* sources has its family. Crops
    of one source are near copies of each other, so only this counts a
    pattern recognised across textures. With no such item it is NaN.

    Example:

    >>> import numpy as np
    >>> vectors = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]])
    >>> recall_across_sources(vectors, [0, 0, 1, 1], ["a", "b", "c", "d"])
    (1.0, 4)
    """
    labels, sources = np.asarray(labels), np.asarray(sources)
    sources_of = {c: set(sources[labels == c].tolist()) for c in np.unique(labels)}
    eligible = np.array([len(sources_of[c]) >= 2 for c in labels])
    if not eligible.any():  # no family with two sources: nothing to count
        return float("nan"), 0
    hits = labels[nearest_across_sources(vectors, sources)] == labels
    return float(hits[eligible].mean()), int(eligible.sum())


def real_crop_figures(
    embedder: Any, path: PathLike, size: int | None = None, seeds: int = 3
) -> dict[str, dict[str, float]]:
    """NMI and R@1 across sources of `embedder` on a real-crops file, on the
    whole set and on its two halves by source (`split_by_source`, seed 0).

    Args:
        embedder: a `PatternEmbedder` (anything with `embed`).
        path: the real-crops `.npz` (see `load_real_crops`).
        size: resize the crops to this side first, or `None`.
        seeds: k-means seeds to average the NMI over.

    Returns:
        `{"all" | "selection" | "report": {"nmi": ..., "recall_at_1": ...}}`;
        a part with fewer than two families is `None`, and its R@1 is `None`
        where no family has two sources in it.
    """
    data = load_real_crops(path)
    labels, sources = data["labels"], data["source_ids"]
    selection, report = split_by_source(labels, sources)
    vectors = embed_crops(embedder, data["images"], size)
    parts = {
        "all": np.ones(len(labels), bool),
        "selection": selection,
        "report": report,
    }
    figures = {}
    for part, mask in parts.items():
        if len(np.unique(labels[mask])) < 2:
            figures[part] = None
            continue
        recall, counted = recall_across_sources(
            vectors[mask], labels[mask], sources[mask]
        )
        figures[part] = {
            "nmi": round(kmeans_nmi(vectors[mask], labels[mask], seeds), 3),
            "recall_at_1": round(recall, 3) if counted else None,
        }
    return figures
