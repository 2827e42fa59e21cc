"""Nearest neighbours of embedding vectors ("more like this"), exact or faiss.

One job: the `NeighborIndex` estimator (its exact and faiss methods, and
its own save and load).
"""

import json
import logging
import math
import numbers
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.preprocessing import normalize
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_is_fitted
from sklearn.utils.validation import check_random_state

from keras_patterns.utils.io import read_array
from keras_patterns.utils.io import read_json
from keras_patterns.utils.io import save_array_atomic
from keras_patterns.utils.io import write_text_atomic
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int

logger = logging.getLogger(__name__)

METRICS = ("cosine", "euclidean")
METHODS = ("auto", "exact", "flat", "ivf")
SETTINGS_FILE = "neighbors.json"
VECTORS_FILE = "vectors.npy"
CENTROIDS_FILE = "centroids.npy"
FORMAT_VERSION = 1
# Bytes of the exact search per (query, catalogue vector) pair: the float32
# distance, argpartition's int64 index and a bool mask.
_BYTES_PER_PAIR = 16
# k-means of the IVF lists runs on at most this many vectors per list, and
# needs at least 39 (faiss warns below): more barely moves the lists.
_TRAIN_PER_LIST = 64
_MIN_PER_LIST = 39
# Rows per block when checking, normalising and adding the catalogue.
_ADD_ROWS = 65536
# float64 elements of the gathered candidates `(queries, k, D)` per block.
_REFINE_ELEMENTS = 2**24


def _import_faiss(method):
    try:
        import faiss
    except ImportError as error:
        if method == "auto":
            return None
        raise ImportError(
            f'method="{method}" needs faiss: pip install "keras-patterns[faiss]"'
        ) from error
    return faiss


def _smallest(values, k):
    """Column indices of the k smallest values of each row, in no order.

    Of values tied with the k-th smallest, the lowest indices are kept.
    """
    n = values.shape[1]
    if k == n:
        return np.broadcast_to(np.arange(n), values.shape).copy()
    candidates = np.argpartition(values, k - 1, axis=1)[:, :k]
    kth = np.take_along_axis(values, candidates, axis=1).max(axis=1, keepdims=True)
    # argpartition keeps any of the values tied with the k-th: redo those rows.
    for row in np.flatnonzero(np.count_nonzero(values <= kth, axis=1) > k):
        below = np.flatnonzero(values[row] < kth[row])
        tied = np.flatnonzero(values[row] == kth[row])
        candidates[row] = np.concatenate([below, tied[: k - len(below)]])
    return candidates


class NeighborIndex(BaseEstimator):
    """Nearest catalogue vectors of query vectors, exactly or with faiss.

    A scikit-learn estimator: `fit` stores the catalogue, `kneighbors`
    answers as scikit-learn's `NearestNeighbors.kneighbors` does (each row
    by ascending distance, equal distances by ascending index). Distances
    are scikit-learn's: the L2 distance for `"euclidean"`, `1 - cos` for
    `"cosine"`.

    `method="exact"` compares a block of queries at a time with every
    catalogue vector (L2: scikit-learn's `euclidean_distances`): memory is
    the float32 catalogue, `O(N * D)`, plus `O(block_size * N)`. `"flat"`
    (exact) and `"ivf"` (approximate: the catalogue in `nlist` k-means
    lists, `nprobe` lists searched per query) use faiss (`pip install
    "keras-patterns[faiss]"`), which holds a second copy of the catalogue.
    Every method then computes the distances to the neighbours it found in
    float64, and orders them by it. `"auto"` is `"exact"` below
    `exact_below` vectors or without faiss, `"ivf"` otherwise.

    Args:
        metric: `"cosine"` or `"euclidean"`.
        method: `"auto"`, `"exact"`, `"flat"` or `"ivf"`.
        nlist: IVF lists; `None`: about `4 * sqrt(N)` (at most `N / 39`, so
            each list has the 39 training vectors faiss asks for).
        nprobe: IVF lists searched per query (more: slower, better recall;
            `nprobe >= nlist` is exact).
        exact_below: catalogue size from which `"auto"` uses `"ivf"`.
        random_state: seed of the IVF training sample and k-means.
        block_size: queries per block of the exact search; `None`: as many
            as fit in scikit-learn's `working_memory` (1 GiB by default).

    Attributes:
        vectors_: the catalogue, float32 `(N, D)`.
        index_: the faiss index (`None` for `"exact"`).
        method_: the method used (`"auto"` resolved).
        nlist_: the IVF lists (`"ivf"` only, else `None`).
        n_samples_fit_: N.
        n_features_in_: D.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.clustering import NeighborIndex
    >>> catalogue = np.eye(4)
    >>> index = NeighborIndex(metric="euclidean").fit(catalogue)
    >>> distances, indices = index.kneighbors([[1.0, 0.1, 0.0, 0.0]], 2)
    >>> indices.tolist()
    [[0, 1]]
    """

    def __init__(
        self,
        metric: str = "cosine",
        method: str = "auto",
        nlist: int | None = None,
        nprobe: int = 8,
        exact_below: int = 50_000,
        random_state: int | np.random.RandomState | None = 0,
        block_size: int | None = None,
    ) -> None:
        self.metric = metric
        self.method = method
        self.nlist = nlist
        self.nprobe = nprobe
        self.exact_below = exact_below
        self.random_state = random_state
        self.block_size = block_size

    # === Validation ===

    def _check_params(self):
        check_choice(self.metric, METRICS, "metric")
        check_choice(self.method, METHODS, "method")
        if self.nlist is not None:
            check_int(self.nlist, "nlist")
        check_int(self.nprobe, "nprobe")
        check_int(self.exact_below, "exact_below", minimum=0)
        if self.block_size is not None:
            check_int(self.block_size, "block_size")

    def _check_vectors(self, X, name, fitted):
        try:
            x = np.asarray(X, dtype=np.float32)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f'"{name}" must be a 2-D array of numbers. Received: {error}'
            ) from None
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(
                f'"{name}" must be a 2-D array (n_samples >= 1, n_features). '
                f"Received: {name} of shape {x.shape}"
            )
        bad = np.concatenate(
            [
                block.start + np.flatnonzero(~np.isfinite(x[block]).all(axis=1))
                for block in gen_batches(len(x), _ADD_ROWS)
            ]
        )
        if len(bad):
            raise ValueError(
                f'"{name}" must hold finite values only. Received: NaN or '
                f"infinity in {len(bad)} rows, the first {bad[:5].tolist()}"
            )
        if fitted and x.shape[1] != self.n_features_in_:
            raise ValueError(
                f'"{name}" must have {self.n_features_in_} features, as the '
                f"fitted catalogue. Received: {name} of shape {x.shape}"
            )
        return x

    def _check_n_neighbors(self, n_neighbors):
        check_int(n_neighbors, "n_neighbors")
        if n_neighbors > self.n_samples_fit_:
            raise ValueError(
                f'"n_neighbors" must be <= {self.n_samples_fit_}, the number of '
                f"catalogue vectors. Received: n_neighbors={n_neighbors}"
            )
        return int(n_neighbors)

    # === Fitting ===

    def _resolve_method(self, n_samples):
        if self.method != "auto":
            if self.method != "exact":
                _import_faiss(self.method)
            return self.method
        faiss = _import_faiss("auto")
        method = "exact" if n_samples < self.exact_below or faiss is None else "ivf"
        logger.info(
            'NeighborIndex: method="auto" chose %r for %d vectors '
            "(exact_below=%d, faiss %s)",
            method,
            n_samples,
            self.exact_below,
            "installed" if faiss is not None else "not installed",
        )
        return method

    def _n_lists(self, n_samples):
        """The IVF list count for `n_samples` vectors, checked against them."""
        nlist = self.nlist
        if nlist is None:
            nlist = round(4 * math.sqrt(n_samples))
            return max(1, min(nlist, n_samples // _MIN_PER_LIST))
        if nlist > n_samples:
            raise ValueError(
                f'"nlist" must be <= {n_samples}, the number of catalogue '
                f"vectors. Received: nlist={nlist}"
            )
        return nlist

    def _train_centroids(self, vectors):
        n_samples = len(vectors)
        nlist = self._n_lists(n_samples)
        rng = check_random_state(self.random_state)
        size = min(n_samples, _TRAIN_PER_LIST * nlist)
        sample = vectors
        if size < n_samples:
            sample = vectors[np.sort(rng.choice(n_samples, size, replace=False))]
        sample = self._searchable(np.asarray(sample))
        kmeans = _import_faiss("ivf").Kmeans(
            vectors.shape[1],
            nlist,
            niter=10,  # faiss's own IVF training default
            seed=int(rng.randint(2**31 - 1)),
            spherical=self.metric == "cosine",
            max_points_per_centroid=_TRAIN_PER_LIST,
            min_points_per_centroid=1,
        )
        kmeans.train(np.ascontiguousarray(sample))
        return kmeans.centroids

    def _searchable(self, vectors):
        """The vectors faiss searches: unit rows for cosine (inner products)."""
        return normalize(vectors) if self.metric == "cosine" else vectors

    def _build(self, vectors, method, centroids=None):
        """Sets the fitted state; `load` calls it too, so both build alike."""
        self.vectors_ = vectors
        self.method_ = method
        self.n_samples_fit_, self.n_features_in_ = vectors.shape
        self.nlist_ = None if centroids is None else len(centroids)
        self.index_ = None
        self._squared_norms = np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64)
        norms = np.sqrt(self._squared_norms)
        inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        self._inverse_norms = inverse.astype(np.float32)  # zero vectors: 0
        if method == "exact":
            return self
        faiss = _import_faiss(method)
        dim = vectors.shape[1]
        flat = faiss.IndexFlatIP if self.metric == "cosine" else faiss.IndexFlatL2
        if method == "flat":
            self.index_ = flat(dim)
        else:
            quantizer = flat(dim)
            quantizer.add(np.ascontiguousarray(centroids))
            kind = (
                faiss.METRIC_INNER_PRODUCT
                if self.metric == "cosine"
                else faiss.METRIC_L2
            )
            self.index_ = faiss.IndexIVFFlat(quantizer, dim, len(centroids), kind)
        # A block at a time: faiss keeps its own copy of the catalogue, and a
        # normalised copy of all of it on top would double that.
        for block in gen_batches(len(vectors), _ADD_ROWS):
            rows = self._searchable(np.asarray(vectors[block]))
            self.index_.add(np.ascontiguousarray(rows, dtype=np.float32))
        return self

    def fit(self, X: ArrayLike, y: Any = None) -> "NeighborIndex":
        """Stores the catalogue `X` `(N, D)` and builds the index; returns `self`.

        Args:
            X: the catalogue vectors, `(N, D)`, kept as float32; a float32
                array is kept without a copy, as scikit-learn does: change it
                and fit again.
            y: ignored; for scikit-learn's API.

        Returns:
            The fitted index, `self`.
        """
        self._check_params()
        vectors = self._check_vectors(X, "X", fitted=False)
        if self.method == "ivf":
            self._n_lists(len(vectors))  # a bad nlist is reported before faiss
        method = self._resolve_method(len(vectors))
        if method == "exact":
            return self._build(vectors, method)
        centroids = self._train_centroids(vectors) if method == "ivf" else None
        return self._build(vectors, method, centroids)

    # === Search ===

    def _block_distances(self, queries):
        """float32 distances (cosine: `1 - cos`; L2: squared) to the catalogue."""
        if self.metric == "euclidean":
            return euclidean_distances(
                queries,
                self.vectors_,
                X_norm_squared=np.einsum(
                    "ij,ij->i", queries, queries, dtype=np.float64
                ),
                Y_norm_squared=self._squared_norms,
                squared=True,
            )
        # scikit-learn's cosine_distances would normalise the whole catalogue
        # again for each block: scale by the stored norms instead.
        similarity = normalize(queries) @ self.vectors_.T
        similarity *= self._inverse_norms
        return np.subtract(1.0, similarity, out=similarity)

    def _exact(self, queries, k):
        rows = self.block_size
        if rows is None:
            budget = sklearn.get_config()["working_memory"] * 2**20
            rows = max(1, int(budget // (_BYTES_PER_PAIR * self.n_samples_fit_)))
        found = [
            self._refine(
                queries[block], _smallest(self._block_distances(queries[block]), k)
            )
            for block in gen_batches(len(queries), rows)
        ]
        return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))

    def _refine(self, queries, candidates):
        """float64 distances to the candidates; rows sorted as scikit-learn's.

        Selection runs in float32; the distances reported, and their order,
        come from float64 arithmetic on the stored vectors, the same for
        every method.
        """
        k, dim = candidates.shape[1], queries.shape[1]
        rows = max(1, _REFINE_ELEMENTS // (k * dim))
        distances = np.empty(candidates.shape)
        for block in gen_batches(len(queries), rows):
            query = queries[block, None, :].astype(np.float64)
            vectors = self.vectors_[candidates[block]].astype(np.float64)
            if self.metric == "euclidean":
                distances[block] = np.sqrt(np.sum((query - vectors) ** 2, axis=2))
                continue
            norms = np.linalg.norm(query, axis=2) * np.sqrt(
                self._squared_norms[candidates[block]]
            )
            dots = np.sum(query * vectors, axis=2)
            cosine = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
            distances[block] = np.clip(1.0 - cosine, 0.0, 2.0)
        order = np.lexsort((candidates, distances), axis=1)
        return (
            np.take_along_axis(distances, order, axis=1),
            np.take_along_axis(candidates, order, axis=1),
        )

    def _faiss(self, queries, k):
        if self.method_ == "ivf":
            self.index_.nprobe = min(int(self.nprobe), self.nlist_)
        searchable = np.ascontiguousarray(self._searchable(queries))
        _, candidates = self.index_.search(searchable, k)
        distances, indices = self._refine(queries, np.maximum(candidates, 0))
        # The probed lists may hold fewer than k vectors (faiss pads with
        # -1): those rows are answered exactly.
        short = np.flatnonzero((candidates < 0).any(axis=1))
        if len(short):
            distances[short], indices[short] = self._exact(queries[short], k)
        return distances, indices

    def kneighbors(
        self, X: ArrayLike, n_neighbors: int = 10, return_distance: bool = True
    ) -> tuple[np.ndarray, np.ndarray] | np.ndarray:
        """The `n_neighbors` nearest catalogue vectors of each row of `X`.

        Args:
            X: the query vectors, `(n_queries, D)`.
            n_neighbors: neighbours per query, at most N.
            return_distance: also return the distances.

        Returns:
            `(distances, indices)`, float64 and int64 arrays
            `(n_queries, n_neighbors)`, each row by ascending distance (equal
            distances: lower index first); `indices` alone without
            `return_distance`.
        """
        check_is_fitted(self, "vectors_")
        k = self._check_n_neighbors(n_neighbors)
        queries = self._check_vectors(X, "X", fitted=True)
        search = self._exact if self.method_ == "exact" else self._faiss
        distances, indices = search(queries, k)
        indices = indices.astype(np.int64, copy=False)
        return (distances, indices) if return_distance else indices

    # === Saving ===

    def save(self, directory: PathLike) -> Path:
        """Writes the fitted index to `directory` (created if missing).

        Files: `vectors.npy` (the float32 catalogue), `centroids.npy` (the IVF
        lists, `"ivf"` only) and `neighbors.json` (the settings), each
        written atomically, the JSON last. Nothing is pickled.

        Args:
            directory: the folder to write to.

        Returns:
            `directory`, as a `Path`.
        """
        check_is_fitted(self, "vectors_")
        directory = Path(directory)
        arrays = {VECTORS_FILE: self.vectors_}
        if self.method_ == "ivf":
            centroids = self.index_.quantizer.reconstruct_n(0, self.nlist_)
            arrays[CENTROIDS_FILE] = np.asarray(centroids, dtype=np.float32)
        for name, array in arrays.items():
            save_array_atomic(directory / name, array)
        params = self.get_params()
        seed = params["random_state"]
        # A RandomState does not go into JSON; the lists saved need no seed.
        params["random_state"] = int(seed) if _is_seed(seed) else None
        settings = {
            "format_version": FORMAT_VERSION,
            "params": params,
            "method": self.method_,
            "shape": list(self.vectors_.shape),
        }
        write_text_atomic(directory / SETTINGS_FILE, json.dumps(settings, indent=2))
        return directory

    @classmethod
    def load(cls, directory: PathLike) -> "NeighborIndex":
        """Reads an index written by `save`; faiss indexes are rebuilt.

        Args:
            directory: the folder `save` wrote.

        Returns:
            The fitted `NeighborIndex`.
        """
        directory = Path(directory)
        path = directory / SETTINGS_FILE
        settings = read_json(path)
        try:
            index = cls(**settings["params"])
            index._check_params()
            method = check_choice(settings["method"], METHODS[1:], "method")
            shape = tuple(settings["shape"])
            if settings["format_version"] != FORMAT_VERSION or len(shape) != 2:
                raise ValueError("unknown format_version or shape")
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{path} does not describe a NeighborIndex: {error!r}"
            ) from None
        vectors = _read_vectors(directory / VECTORS_FILE, shape)
        centroids = None
        if method == "ivf":
            centroids = _read_vectors(directory / CENTROIDS_FILE, (None, shape[1]))
        return index._build(vectors, method, centroids)


def _is_seed(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _read_vectors(path, shape):
    array = read_array(path)
    if (
        array.dtype != np.float32
        or array.ndim != 2
        or any(e not in (None, s) for e, s in zip(shape, array.shape, strict=True))
    ):
        raise ValueError(
            f"{path} must hold a float32 array of shape {shape} (None: any). "
            f"Received: {array.dtype} of shape {array.shape}"
        )
    return array
