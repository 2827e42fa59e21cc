"""What fitting a grouper needs beyond the stages.

`train_catalogue_embedder` trains an embedder on a catalogue's own patches
when the grouper has none (each patch its own class, its augmented views
the positives); `fit_clusterer` fits the clusterer on the embeddings and
keeps them as the `Catalogue` of `similar`, after `check_embedded` says
why it cannot when too few inputs could be embedded; `assign` gives
each embedding its group, a block at a time.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.embedding.training import train_embedder_on_patches
from keras_patterns.grouping.catalogue import Catalogue
from keras_patterns.grouping.items import GroupedItem


def train_catalogue_embedder(
    items: Sequence[GroupedItem], steps: int, progress: bool = True
) -> Any:
    """A texture-CNN embedder trained on the first patch of each grouped item.

    Args:
        items: the inputs, their `patches` kept; failed ones are skipped.
        steps: optimiser steps.
        progress: show Keras' progress.

    Returns:
        The trained `PatternEmbedder`, or `None` when no input has a patch.
    """
    ok = [item for item in items if item.ok]
    if not ok:
        return None
    return train_embedder_on_patches(
        np.stack([item.patch for item in ok]),
        steps=steps,
        verbose=2 if progress else 0,
    )


def check_embedded(items: Sequence[GroupedItem], clusterer: Any) -> None:
    """Raises a `ValueError` when the embedded inputs cannot be clustered.

    Args:
        items: the inputs, each embedded or failed.
        clusterer: the clusterer to fit, or `None`.

    Raises:
        ValueError: no input could be embedded (the first failures are
            named), or fewer were than the clusterer's `n_clusters`.
    """
    ok = sum(item.ok for item in items)
    if not ok:
        raise ValueError(
            "No input could be embedded: "
            + "; ".join(f"{item.source}: {item.error}" for item in items[:5])
        )
    wanted = getattr(clusterer, "n_clusters", None)
    if isinstance(wanted, int) and wanted > ok:
        raise ValueError(
            f"The clusterer asks for {wanted} groups but only {ok} of "
            f"{len(items)} inputs could be embedded (see the failures: "
            f"{len(items) - ok}). Use fewer groups, "
            'n_clusters="auto", or more inputs.'
        )


def fit_clusterer(
    clusterer: Any, items: Sequence[GroupedItem], embeddings: np.ndarray
) -> tuple[Any, Catalogue]:
    """Fits `clusterer` on the embeddings of the items that did not fail.

    Args:
        clusterer: the clusterer, or `None` for `KMeans("auto",
            metric="cosine")` (which lowers its `k_range` to the inputs,
            and fits one group on one or two).
        items: every input, embedded or failed.
        embeddings: `(n_ok, D)` embeddings of those that did not fail.

    Returns:
        `(clusterer, catalogue)`: the fitted clusterer, and the embeddings
        as the `Catalogue` `similar` searches.
    """
    check_embedded(items, clusterer)
    if clusterer is None:
        clusterer = KMeans("auto", metric="cosine", random_state=0)
    clusterer.fit(embeddings)
    ok = [item for item in items if item.ok]
    catalogue = Catalogue(
        embeddings,
        [item.index for item in ok],
        [item.source for item in ok],
        getattr(clusterer, "metric", "euclidean"),
    )
    return clusterer, catalogue


def assign(clusterer: Any, embeddings: np.ndarray, block: int = 65536) -> np.ndarray:
    """The fitted clusterer's group of each row, a block of rows at a time
    (a memory-mapped catalogue is read a block at a time too)."""
    if not len(embeddings):
        return np.zeros(0, np.int64)
    return np.concatenate(
        [
            clusterer.predict(np.asarray(embeddings[start : start + block]))
            for start in range(0, len(embeddings), block)
        ]
    )
