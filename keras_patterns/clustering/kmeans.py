"""k-means over embeddings, as a scikit-learn estimator.

One job: the `KMeans` estimator (cosine or Euclidean k-means, and the
choice of k by silhouette for `"auto"`); its length is that estimator's
validation, docstrings and examples.
"""

import logging
from typing import Any

import numpy as np
from scipy import sparse
from sklearn import cluster as sk_cluster
from sklearn.base import BaseEstimator
from sklearn.base import ClusterMixin
from sklearn.base import TransformerMixin
from sklearn.metrics import silhouette_score
from sklearn.utils.validation import check_array
from sklearn.utils.validation import check_is_fitted
from sklearn.utils.validation import check_random_state

from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.validation import check_choice

logger = logging.getLogger(__name__)

METRICS = ("euclidean", "cosine")
METHODS = ("lloyd", "minibatch", "faiss")
# Spherical k-means draws its k-means++ seeds from at most this many vectors.
SEED_ROWS = 50_000


def _norms(x):
    """Row norms, without the `(n, d)` temporary of `np.linalg.norm`."""
    return np.sqrt(np.einsum("ij,ij->i", x, x))


def _normalize(x):
    return x / np.maximum(_norms(x), 1e-12)[:, None]


def _class_sums(x, labels, k):
    """`(k, d)` sums of the rows of each label, one sparse product (O(n d))."""
    ones = np.ones(len(x), dtype=x.dtype)
    members = sparse.csr_matrix((ones, (labels, np.arange(len(x)))), shape=(k, len(x)))
    return np.asarray(members @ x)


def _spherical_lloyd(x, k, rng, n_init, max_iter, tol):
    """Spherical k-means: unit centroids, assignment by cosine similarity."""
    best = None
    for _ in range(n_init):
        # k-means++ seeding in float64 (scikit-learn's float32 distances
        # upcast chunk by chunk, 10x slower), on at most SEED_ROWS vectors.
        rows = x
        if len(x) > SEED_ROWS:
            rows = x[np.sort(rng.choice(len(x), SEED_ROWS, replace=False))]
        rows = np.asarray(rows, dtype=np.float64)
        centers, _ = sk_cluster.kmeans_plusplus(rows, k, random_state=rng)
        centers = centers.astype(x.dtype)
        centers = _normalize(centers)
        for iteration in range(1, max_iter + 1):
            labels = np.argmax(x @ centers.T, axis=1)
            sums = _class_sums(x, labels, k)
            empty = np.linalg.norm(sums, axis=1) == 0
            sums[empty] = x[rng.choice(len(x), empty.sum(), replace=False)]
            updated = _normalize(sums)
            shift = np.abs(updated - centers).max()
            centers, n_iter = updated, iteration
            if shift <= tol:
                break
        similarity = x @ centers.T
        labels = np.argmax(similarity, axis=1)
        # 1 - cos to the own centroid, without an (n, d) temporary.
        inertia = float(np.sum(1.0 - similarity[np.arange(len(x)), labels]))
        if best is None or inertia < best[2]:
            best = (centers, labels, inertia, n_iter)
    return best


class KMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """k-means for embeddings: Lloyd, mini-batch or faiss; Euclidean or cosine.

    A scikit-learn estimator (`fit`, `predict`, `fit_predict`, `transform`,
    `get_params` / `set_params`). `metric="cosine"` is spherical k-means:
    the vectors and the centroids live on the unit sphere and assignment is
    by cosine similarity. `n_clusters="auto"` tries every k in `k_range`
    and keeps the best silhouette score (computed on a sample when there are
    many vectors), exposing every score in `k_scores_`.

    The silhouette scores only 2 <= k <= n - 1 for n vectors, so `"auto"`
    on few vectors tries the k of `k_range` up to n - 1 (a range wholly
    above n - 1 tries k = n - 1 alone, with a logged warning; 3 vectors
    score k = 2). One or two vectors leave no k to score: `"auto"` then
    fits one group (`n_clusters_ == 1`, `k_scores_ == {}`) and logs a
    warning, rather than failing, so that a catalogue of one or two
    products still groups: with nothing to compare, one group claims no
    split the data cannot support (and is the only grouping of one vector).

    Args:
        n_clusters: number of clusters, or `"auto"`.
        k_range: `(low, high)`, both included, for `"auto"`; `high` is
            lowered to n - 1 for n vectors.
        metric: `"euclidean"` or `"cosine"`.
        method: `"lloyd"` (scikit-learn's `KMeans`), `"minibatch"`
            (`MiniBatchKMeans`, with `partial_fit` for catalogues that do not
            fit in memory) or `"faiss"` (the optional `faiss` extra).
        random_state: seed, for reproducible clusters.
        n_init: restarts (`"auto"`: scikit-learn's choice).
        max_iter: iterations per run.
        tol: convergence tolerance.
        batch_size: mini-batch size (`"minibatch"`).
        silhouette_samples: vectors the silhouette is computed on, at most.
        auto_samples: for `"auto"`, the candidate k are fitted and scored on
            a random sample of at most this many vectors, and the chosen k
            is then fitted on all of them: the search costs the same for a
            million vectors as for `auto_samples`. Must exceed `k_range`'s
            `high`, so that the sample can score every k.

    Attributes:
        cluster_centers_: `(k, D)` centroids (unit vectors for cosine).
        labels_: cluster of each training vector.
        inertia_: sum of squared distances (cosine: of `1 - cos`) to centroids.
        n_clusters_: the k used (chosen, for `"auto"`).
        k_scores_: `{k: silhouette}` for `"auto"` (on the sample); `{}`
            when fewer than 3 vectors left no k to score.
        k_inertias_: `{k: inertia}` for `"auto"` (the elbow curve, on the
            sample).

    Example:

    >>> import numpy as np
    >>> from keras_patterns.clustering import KMeans
    >>> x = np.concatenate([np.zeros((5, 2)), np.ones((5, 2)) * 10])
    >>> KMeans(2, random_state=0).fit(x).n_clusters_
    2
    """

    def __init__(
        self,
        n_clusters: int | str = 8,
        k_range: tuple[int, int] = (2, 20),
        metric: str = "euclidean",
        method: str = "lloyd",
        random_state: int | np.random.RandomState | None = None,
        n_init: int | str = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        batch_size: int = 1024,
        silhouette_samples: int = 5000,
        auto_samples: int = 20000,
    ) -> None:
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.metric = metric
        self.method = method
        self.random_state = random_state
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.silhouette_samples = silhouette_samples
        self.auto_samples = auto_samples

    # === Validation ===

    def _check_params(self, n_samples):
        """The k to fit on `n_samples` vectors, and whether to score them."""
        check_choice(self.metric, METRICS, "metric")
        check_choice(self.method, METHODS, "method")
        if self.n_clusters == "auto":
            return self._auto_candidates(n_samples), True
        if isinstance(self.n_clusters, bool) or not isinstance(
            self.n_clusters, (int, np.integer)
        ):
            raise ValueError(
                f'"n_clusters" must be an int or "auto". Received: {self.n_clusters!r}'
            )
        if not 1 <= self.n_clusters <= n_samples:
            raise ValueError(
                f'"n_clusters" must lie in [1, {n_samples}] (the number of '
                f"vectors). Received: {self.n_clusters}"
            )
        return [int(self.n_clusters)], False

    def _auto_candidates(self, n_samples):
        """The k of `k_range` the silhouette can score on `n_samples` vectors.

        The silhouette needs 2 <= k <= n - 1. A range above that is cut to
        n - 1; with fewer than 3 vectors no k can be scored, so `[]` (the
        caller then fits one group).
        """
        low, high = self.k_range
        if not 2 <= low <= high:
            raise ValueError(
                f'"k_range" must be (low, high) with 2 <= low <= high. '
                f"Received: {self.k_range!r}"
            )
        if (
            isinstance(self.auto_samples, bool)
            or not isinstance(self.auto_samples, (int, np.integer))
            or self.auto_samples <= high
        ):
            raise ValueError(
                f'"auto_samples" must be an int above the top of "k_range" '
                f"({high}), so that every k of the range can be scored on the "
                f"sample. Received: auto_samples={self.auto_samples!r}"
            )
        top = min(high, n_samples - 1)
        if top < 2:
            logger.warning(
                'KMeans("auto") on %d vector(s): the silhouette scores '
                "2 <= k <= n - 1 only, so no k can be chosen; fitting one group.",
                n_samples,
            )
            return []
        if top < low:
            logger.warning(
                'KMeans("auto"): k_range=%r lies above the %d vectors (the '
                "silhouette scores k <= n - 1); trying k=%d only.",
                self.k_range,
                n_samples,
                top,
            )
            return [top]
        return list(range(low, top + 1))

    def _prepare(self, x, reset=True):
        x = check_array(x, dtype=[np.float64, np.float32], ensure_min_samples=1)
        if not reset and x.shape[1] != self.cluster_centers_.shape[1]:
            raise ValueError(
                f"X has {x.shape[1]} features; the model was fitted with "
                f"{self.cluster_centers_.shape[1]}."
            )
        if self.metric != "cosine":
            return x
        # Unit vectors already (an L2-normalised embedder's, maybe memory-
        # mapped from disk) are used as they are, not copied.
        if np.allclose(_norms(x), 1.0, atol=1e-4):
            return x
        return _normalize(x)

    # === Fitting ===

    def _fit_k(self, x, k, rng):
        n_init = 3 if self.n_init == "auto" else self.n_init
        if isinstance(rng, int) or rng is None:
            rng = check_random_state(rng)
        if self.metric == "cosine" and self.method == "lloyd":
            return _spherical_lloyd(x, k, rng, n_init, self.max_iter, self.tol)
        if self.method == "faiss":
            return self._fit_faiss(x, k, rng, n_init)
        if self.method == "minibatch":
            model = sk_cluster.MiniBatchKMeans(
                k,
                batch_size=self.batch_size,
                random_state=rng,
                n_init=self.n_init,
                max_iter=self.max_iter,
                tol=self.tol,
            )
        else:
            model = sk_cluster.KMeans(
                k,
                random_state=rng,
                n_init=self.n_init,
                max_iter=self.max_iter,
                tol=self.tol,
            )
        model.fit(x)
        centers = model.cluster_centers_
        if self.metric == "cosine":
            centers = _normalize(centers)
        return centers, model.labels_, float(model.inertia_), int(model.n_iter_)

    def _fit_faiss(self, x, k, rng, n_init):
        try:
            import faiss
        except ImportError as error:
            raise ImportError(
                'method="faiss" needs faiss: pip install "keras-patterns[faiss]"'
            ) from error
        index = faiss.Kmeans(
            x.shape[1],
            k,
            niter=self.max_iter,
            nredo=n_init,
            seed=int(rng.randint(2**31 - 1)),
            spherical=self.metric == "cosine",
        )
        index.train(np.ascontiguousarray(x, dtype=np.float32))
        distances, labels = index.index.search(np.ascontiguousarray(x, np.float32), 1)
        return (
            index.centroids.astype(x.dtype),
            labels[:, 0],
            float(distances.sum()),
            self.max_iter,
        )

    def fit(self, X: ArrayLike, y: Any = None) -> "KMeans":
        """Clusters `X` `(n_samples, n_features)`; returns `self`.

        With `n_clusters="auto"`, one or two vectors give one cluster (see
        the class docstring).

        Args:
            X: the vectors, `(n_samples, n_features)`.
            y: ignored; for scikit-learn's API.

        Returns:
            The fitted estimator, `self`.
        """
        x = self._prepare(X)
        # On the sample the candidates are the same: auto_samples > k_range[1].
        candidates, scored = self._check_params(len(x))
        seed = check_random_state(self.random_state).randint(2**31 - 1)
        sample = x
        if scored and len(x) > self.auto_samples:
            rows = np.sort(
                check_random_state(seed).choice(len(x), self.auto_samples, False)
            )
            sample = np.asarray(x[rows])
        self.k_scores_, self.k_inertias_ = {}, {}
        best = None
        for k in candidates or [1]:
            # One k: the caller's random_state as is, so "lloyd" reproduces
            # scikit-learn's KMeans exactly; several: one seed for all.
            state = self.random_state if len(candidates) <= 1 else seed
            centers, labels, inertia, n_iter = self._fit_k(
                sample, k, check_random_state(state)
            )
            score = None
            if scored and candidates:
                score = (
                    silhouette_score(
                        sample,
                        labels,
                        sample_size=min(self.silhouette_samples, len(sample)),
                        random_state=seed,
                        metric=self.metric,
                    )
                    if len(set(labels)) > 1
                    else -1.0
                )
                self.k_scores_[k], self.k_inertias_[k] = float(score), inertia
                if best is not None and score <= best[0]:
                    continue
            best = (score, k, centers, labels, inertia, n_iter)
        if sample is not x:  # the chosen k, fitted on every vector
            best = (
                best[0],
                best[1],
                *self._fit_k(x, best[1], check_random_state(seed)),
            )
        (
            _,
            self.n_clusters_,
            self.cluster_centers_,
            self.labels_,
            self.inertia_,
            self.n_iter_,
        ) = best
        self.n_features_in_ = x.shape[1]
        return self

    def partial_fit(self, X: ArrayLike, y: Any = None) -> "KMeans":
        """Updates a mini-batch k-means with one chunk (`method="minibatch"`).

        Args:
            X: one chunk of vectors, `(n_samples, n_features)`.
            y: ignored; for scikit-learn's API.

        Returns:
            The updated estimator, `self`.
        """
        if self.method != "minibatch" or self.n_clusters == "auto":
            raise ValueError(
                'partial_fit needs method="minibatch" and an int n_clusters. '
                f"Received: method={self.method!r}, n_clusters={self.n_clusters!r}"
            )
        x = self._prepare(X, reset=not hasattr(self, "cluster_centers_"))
        if not hasattr(self, "_online"):
            self._online = sk_cluster.MiniBatchKMeans(
                self.n_clusters,
                batch_size=self.batch_size,
                random_state=self.random_state,
                n_init="auto" if self.n_init == "auto" else self.n_init,
            )
        self._online.partial_fit(x)
        centers = self._online.cluster_centers_
        self.cluster_centers_ = (
            _normalize(centers) if self.metric == "cosine" else centers
        )
        self.labels_ = (
            self.predict(x) if self.metric == "cosine" else self._online.labels_
        )
        self.n_clusters_ = int(self.n_clusters)
        self.n_features_in_ = x.shape[1]
        return self

    # === Prediction ===

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Distances `(n_samples, k)` to the centroids (cosine: `1 - cos`).

        Args:
            X: the vectors, `(n_samples, n_features)`.

        Returns:
            A float array `(n_samples, k)`.
        """
        check_is_fitted(self, "cluster_centers_")
        x = self._prepare(X, reset=False)
        if self.metric == "cosine":
            return 1.0 - x @ self.cluster_centers_.T
        squared = (
            (x**2).sum(1)[:, None]
            + (self.cluster_centers_**2).sum(1)[None]
            - 2 * x @ self.cluster_centers_.T
        )
        return np.sqrt(np.maximum(squared, 0.0))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The nearest centroid of each vector.

        Args:
            X: the vectors, `(n_samples, n_features)`.

        Returns:
            The cluster index of each vector, an int array `(n_samples,)`.
        """
        return np.argmin(self.transform(X), axis=1)

    def fit_predict(self, X: ArrayLike, y: Any = None) -> np.ndarray:
        """Fits on `X` and returns its cluster labels, shape `(n,)`.

        Args:
            X: the vectors, `(n, n_features)`.
            y: ignored; for scikit-learn's API.

        Returns:
            The cluster index of each vector, an int array `(n,)`.
        """
        return self.fit(X).labels_
