"""The catalogue a grouper was fitted on: what `similar` searches.

`Catalogue` holds the fitted inputs' embeddings, their positions in the
inputs `fit` was given and their sources, builds the neighbour index on
the first search, and saves and loads itself beside the grouper (the
embeddings memory-mapped, nothing unpickled).
"""

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from keras_patterns.clustering.neighbors import NeighborIndex
from keras_patterns.grouping.items import GroupedItem
from keras_patterns.utils.io import NpyWriter
from keras_patterns.utils.io import atomic_path
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike

logger = logging.getLogger(__name__)

# Files beside a saved grouper: `catalogue.npz` (index and sources) and
# `catalogue_embeddings.npy`.
CATALOGUE = "catalogue"
# Rows written or searched at a time.
BLOCK = 65536


class CatalogueField:
    """A grouper attribute reading one field of its catalogue (`None` before
    it is fitted): `catalogue_embeddings_`, `catalogue_index_`,
    `catalogue_sources_`."""

    def __init__(self, field: str) -> None:
        self.field = field

    def __get__(self, grouper: Any, owner: type) -> Any:
        if grouper is None:
            return self
        catalogue = grouper.catalogue
        return None if catalogue is None else getattr(catalogue, self.field)


class Catalogue:
    """The products a grouper was fitted on, searchable by pattern.

    Args:
        embeddings: `(N, D)` embeddings of the fitted inputs (an array or a
            memory map).
        index: `(N,)` position of each in the inputs `fit` was given.
        sources: `(N,)` source of each (a file path, or `"#<index>"`).
        metric: the clusterer's metric, `"cosine"` or `"euclidean"`.

    Attributes:
        neighbors: the `NeighborIndex` built on the first search, or `None`.
    """

    def __init__(
        self,
        embeddings: ArrayLike,
        index: ArrayLike,
        sources: Sequence[str],
        metric: str = "euclidean",
    ) -> None:
        self.embeddings = embeddings
        self.index = np.asarray(index, np.int64)
        self.sources = list(sources)
        self.metric = metric
        self.neighbors = None
        if not len(self.index) == len(self.sources) == len(embeddings):
            raise ValueError(
                f"A catalogue needs one index and source per embedding: "
                f"{len(embeddings)} embeddings, {len(self.index)} indices, "
                f"{len(self.sources)} sources"
            )

    def __len__(self) -> int:
        return len(self.index)

    def sources_of(self, positions: ArrayLike) -> np.ndarray:
        """The source of each position in the fitted inputs, as `similar`
        returns them (`""` for -1, a failed query's).

        Args:
            positions: positions in the inputs `fit` was given, any shape.

        Returns:
            An array of the sources, of that shape.
        """
        lookup = dict(zip(self.index.tolist(), self.sources, strict=True))
        positions = np.asarray(positions)
        found = [lookup.get(int(p), "") for p in positions.ravel()]
        return np.asarray(found, dtype=object).reshape(positions.shape)

    def kneighbors(self, vectors: ArrayLike, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The `k` nearest products to each vector, nearest first.

        Args:
            vectors: `(n, D)` query embeddings.
            k: neighbours per query.

        Returns:
            `(distances, indices)`, `(n, k)` each; indices are positions in
            the inputs `fit` was given (`index`), distances in `metric`.
        """
        if self.neighbors is None:
            logger.info(
                "Indexing the %d catalogue embeddings for similar().", len(self)
            )
            self.neighbors = NeighborIndex(metric=self.metric).fit(self.embeddings)
        distances, rows = self.neighbors.kneighbors(vectors, k)
        return distances, self.index[rows]

    def search(
        self, items: Sequence[GroupedItem], embeddings: ArrayLike, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """`kneighbors` for each query item; a failed one gets NaN and -1.

        Args:
            items: the queries, each embedded or failed (and logged).
            embeddings: `(n_ok, D)` embeddings of those that did not fail.
            k: neighbours per query.

        Returns:
            `(distances, indices)`, `(len(items), k)` each.
        """
        distances = np.full((len(items), k), np.nan)
        indices = np.full((len(items), k), -1, np.int64)
        ok = np.array([item.ok for item in items], bool)
        if ok.any():
            distances[ok], indices[ok] = self.kneighbors(embeddings, k)
        for item in items:
            if not item.ok:
                logger.warning(
                    "similar(): query %s failed: %s", item.source, item.error
                )
        return distances, indices

    def save(self, directory: PathLike) -> None:
        """Writes `catalogue.npz` and `catalogue_embeddings.npy`, each atomically.

        Args:
            directory: the grouper's folder.
        """
        directory = Path(directory)
        with NpyWriter(directory / f"{CATALOGUE}_embeddings.npy") as writer:
            for start in range(0, len(self.embeddings), BLOCK):
                writer.append(self.embeddings[start : start + BLOCK])
        with atomic_path(directory / f"{CATALOGUE}.npz") as tmp, open(tmp, "wb") as f:
            np.savez(
                f, index=self.index, sources=np.asarray(self.sources, dtype=np.str_)
            )

    @classmethod
    def load(cls, directory: PathLike, metric: str = "euclidean") -> "Catalogue | None":
        """The catalogue saved beside a grouper, or `None` if it has none.

        The embeddings are memory-mapped, not read; nothing is unpickled.

        Args:
            directory: a folder written by `PatternGrouper.save`.
            metric: the clusterer's metric.

        Returns:
            The `Catalogue`, or `None` for a grouper saved without one.

        Raises:
            ValueError: the files are damaged or disagree; the message
                names them.
        """
        directory = Path(directory)
        path = directory / f"{CATALOGUE}.npz"
        if not path.is_file():
            return None
        vectors = directory / f"{CATALOGUE}_embeddings.npy"
        try:
            with np.load(path, allow_pickle=False) as data:
                index, sources = data["index"], data["sources"].tolist()
            embeddings = np.load(vectors, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(
                f"{path} and {vectors.name} are not a catalogue written by "
                f"PatternGrouper.save: {error}"
            ) from None
        if not len(index) == len(sources) == len(embeddings):
            raise ValueError(
                f"{path} lists {len(index)} products but {vectors} holds "
                f"{len(embeddings)} embeddings"
            )
        return cls(embeddings, index, sources, metric)
