"""Metrics of embeddings: in-batch Keras metrics and full retrieval evaluation."""

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_patterns.embedding.distances import check_distance
from keras_patterns.embedding.distances import label_masks
from keras_patterns.embedding.distances import paired_distances
from keras_patterns.embedding.distances import pairwise_distances
from keras_patterns.embedding.pattern_embedder import PatternEmbedder
from keras_patterns.embedding.triplet_losses import batch_all_sums
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_choice

STATISTICS = ("positive_distance", "negative_distance", "active_triplets")


@keras.saving.register_keras_serializable(package="keras_patterns")
class TripletStatistic(keras.metrics.Mean):
    """One health statistic of triplet training, averaged over batches.

    A collapse (every embedding at one point) shows as positive and negative
    distances both near zero and a loss stuck at the margin; a healthy run
    shows the negative distance growing away from the positive one and the
    fraction of active triplets falling.

    Args:
        statistic: `"positive_distance"` (mean anchor-positive distance),
            `"negative_distance"` (mean anchor-negative distance) or
            `"active_triplets"` (share of valid triplets whose loss is
            positive for `margin`).
        margin: the loss margin, for `"active_triplets"`.
        distance: `"squared_l2"`, `"l2"` or `"cosine"`.
        name: defaults to `statistic`.
        **kwargs: standard `keras.metrics.Metric` arguments (`dtype`).

    `y_true` holds labels `(B,)` and `y_pred` embeddings `(B, D)`, or
    explicit triplets `(B, 3, D)` (labels ignored).
    """

    def __init__(
        self,
        statistic: str,
        margin: float = 1.0,
        distance: str = "squared_l2",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        check_choice(statistic, STATISTICS, "statistic")
        super().__init__(name=name or statistic, **kwargs)
        self.statistic = statistic
        self.margin = float(margin)
        self.distance = check_distance(distance)

    def _explicit(self, triplets):
        d_ap = paired_distances(triplets[:, 0], triplets[:, 1], self.distance)
        d_an = paired_distances(triplets[:, 0], triplets[:, 2], self.distance)
        if self.statistic == "positive_distance":
            return ops.mean(d_ap)
        if self.statistic == "negative_distance":
            return ops.mean(d_an)
        return ops.mean(ops.cast(d_ap - d_an + self.margin > 0, "float32"))

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        """Adds the statistic of one batch to the average.

        Args:
            y_true: `(B,)` labels (ignored for explicit triplets).
            y_pred: `(B, D)` embeddings, or `(B, 3, D)` explicit triplets.
            sample_weight: ignored; every batch counts once.
        """
        if len(y_pred.shape) == 3:
            return super().update_state(self._explicit(y_pred))
        distances = pairwise_distances(y_pred, self.distance)
        positive, negative = label_masks(y_true)
        if self.statistic == "positive_distance":
            value = ops.sum(distances * positive) / ops.maximum(ops.sum(positive), 1.0)
        elif self.statistic == "negative_distance":
            value = ops.sum(distances * negative) / ops.maximum(ops.sum(negative), 1.0)
        else:
            _, active = batch_all_sums(distances, positive, negative, self.margin)
            valid = ops.sum(positive * ops.sum(negative, axis=1, keepdims=True))
            value = active / ops.maximum(valid, 1.0)
        return super().update_state(value)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "statistic": self.statistic,
                "margin": self.margin,
                "distance": self.distance,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_patterns")
class RecallAtK(keras.metrics.Mean):
    """In-batch Recall@K: anchors with a same-label neighbour among their K nearest.

    Each embedding queries all the others of its batch (itself excluded);
    anchors without any same-label partner in the batch are left out. Use
    `evaluate_retrieval` for the query/gallery protocol on a whole data set.

    Args:
        k: number of neighbours.
        distance: `"squared_l2"`, `"l2"` or `"cosine"`.
        name: defaults to `recall_at_{k}`.
        **kwargs: standard `keras.metrics.Metric` arguments (`dtype`).

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> metric = kp.metrics.RecallAtK(k=1)
    >>> metric.update_state(np.array([0, 0, 1, 1]),
    ...                     np.array([[0.0], [0.1], [0.5], [1.0]]))
    >>> float(metric.result())  # the third anchor's nearest is label 0
    0.75
    """

    def __init__(
        self,
        k: int = 1,
        distance: str = "squared_l2",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f'"k" must be a positive int. Received: k={k!r}')
        super().__init__(name=name or f"recall_at_{k}", **kwargs)
        self.k = k
        self.distance = check_distance(distance)

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        """Adds the hits of one batch's anchors to the recall.

        Args:
            y_true: `(B,)` labels.
            y_pred: `(B, D)` embeddings.
            sample_weight: ignored; anchors with a same-label partner in
                the batch weigh 1, the others 0.
        """
        distances = pairwise_distances(y_pred, self.distance)
        positive, _ = label_masks(y_true)
        size = ops.shape(distances)[0]
        distances = distances + ops.eye(size, dtype="float32") * 1e30
        k = min(self.k, int(y_pred.shape[0]) - 1) if y_pred.shape[0] else self.k
        _, nearest = ops.top_k(-distances, k=max(k, 1))
        hits = ops.max(ops.take_along_axis(positive, nearest, axis=1), axis=1)
        has_positive = ops.cast(ops.sum(positive, axis=1) > 0, "float32")
        return super().update_state(hits, sample_weight=has_positive)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"k": self.k, "distance": self.distance})
        return config


def _embed(embedder, part, batch_size):
    """`(embeddings, labels)` from `(images_or_embeddings, labels)`."""
    data, labels = part
    data = np.asarray(data)
    if data.ndim == 4:
        if embedder is None:
            raise ValueError("Images were given without an embedder to embed them.")
        data = embedder.embed(data, batch_size=batch_size)
    if data.ndim != 2 or len(data) != len(labels) or not len(data):
        raise ValueError(
            "Expected (images or embeddings, labels) with one label per row. Received "
            f"data of shape {data.shape} and {len(labels)} labels"
        )
    return data.astype(np.float32), np.asarray(labels)


def evaluate_retrieval(
    embedder_or_embeddings: PatternEmbedder | None,
    query: tuple[ArrayLike, ArrayLike],
    gallery: tuple[ArrayLike, ArrayLike] | None = None,
    ks: Sequence[int] = (1, 5, 10, 20),
    batch_size: int = 64,
    chunk: int = 1024,
) -> dict[str, float]:
    """Recall@K and mAP@R of queries against a gallery (the In-shop protocol).

    For every query, the gallery is ranked by Euclidean distance; a hit is a
    gallery entry with the query's label (item id, or pattern family).
    Recall@K is the share of queries with a hit among their K nearest;
    mAP@R (Musgrave et al., "A Metric Learning Reality Check", 2020) averages
    the precision at each hit among the first R results, R being the
    number of gallery entries with the query's label. With `gallery=None`
    the queries are searched among themselves, each excluding itself.

    Args:
        embedder_or_embeddings: a `PatternEmbedder` (then `query` and
            `gallery` hold images) or `None` (they hold embeddings).
        query: `(images or embeddings, labels)`.
        gallery: `(images or embeddings, labels)`, or `None`.
        ks: the K of Recall@K.
        batch_size: images per forward pass when embedding.
        chunk: queries ranked at once (bounds memory).

    Returns:
        A dict: `recall@K` for each K and `map@r`.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.metrics import evaluate_retrieval
    >>> q = (np.array([[0.0], [1.0]]), [0, 1])
    >>> g = (np.array([[0.1], [0.9], [5.0]]), [0, 1, 1])
    >>> evaluate_retrieval(None, q, g, ks=(1,))
    {'recall@1': 1.0, 'map@r': 0.75}
    """
    embedder = None if embedder_or_embeddings is None else embedder_or_embeddings
    q_vectors, q_labels = _embed(embedder, query, batch_size)
    self_search = gallery is None
    g_vectors, g_labels = (
        (q_vectors, q_labels) if self_search else _embed(embedder, gallery, batch_size)
    )
    counts = dict(zip(*np.unique(g_labels, return_counts=True), strict=True))
    depth = max(max(ks), max(counts.values()))
    hits_at = dict.fromkeys(ks, 0.0)
    average_precision, scored = 0.0, 0
    for start in range(0, len(q_vectors), chunk):
        block = q_vectors[start : start + chunk]
        distances = (
            (block**2).sum(1)[:, None]
            + (g_vectors**2).sum(1)[None, :]
            - 2 * block @ g_vectors.T
        )
        if self_search:
            distances[np.arange(len(block)), np.arange(start, start + len(block))] = (
                np.inf
            )
        order = np.argsort(distances, axis=1, kind="stable")[:, :depth]
        relevant = g_labels[order] == q_labels[start : start + len(block), None]
        for row, label in enumerate(q_labels[start : start + len(block)]):
            r = counts.get(label, 0) - (1 if self_search else 0)
            if r <= 0:
                continue
            scored += 1
            for k in ks:
                hits_at[k] += float(relevant[row, :k].any())
            found = relevant[row, :r]
            precision = np.cumsum(found) / np.arange(1, r + 1)
            average_precision += float((precision * found).sum() / r)
    if not scored:
        raise ValueError("No query has a matching label in the gallery.")
    result = {f"recall@{k}": hits_at[k] / scored for k in ks}
    result["map@r"] = average_precision / scored
    return result
