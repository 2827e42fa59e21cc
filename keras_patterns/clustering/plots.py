"""Pictures of a clustering: the scores that chose k, and a map of the embeddings.

Drawn with matplotlib on the Agg canvas (`keras_patterns.utils.figures`),
never through `pyplot`'s global state.
"""

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from sklearn.utils.validation import check_is_fitted

from keras_patterns.clustering.kmeans import KMeans
from keras_patterns.utils.figures import figure_to_image
from keras_patterns.utils.figures import new_figure
from keras_patterns.utils.figures import save_figure
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SILHOUETTE_COLOR = "#1f5fbf"
INERTIA_COLOR = "#888888"
CHOSEN_COLOR = "#c0392b"
UNGROUPED_COLOR = "#bbbbbb"


def elbow_figure(kmeans: KMeans, size: tuple[int, int] = (560, 320)) -> "Figure":
    """The figure `elbow_plot` renders: silhouette and inertia against k.

    Args:
        kmeans: a `KMeans` fitted with `n_clusters="auto"`.
        size: `(width, height)` in pixels.

    Returns:
        A `matplotlib.figure.Figure` with two axes sharing the k axis: the
        silhouette (left, with the chosen k marked) and the inertia
        (right).

    Raises:
        ValueError: if `kmeans` was not fitted with `n_clusters="auto"`.
    """
    check_is_fitted(kmeans, "k_scores_")
    if not kmeans.k_scores_:
        raise ValueError(
            '"kmeans" must be fitted with n_clusters="auto" over at least one k. '
            f"Received a KMeans with k_scores_={kmeans.k_scores_!r}"
        )
    ks = sorted(kmeans.k_scores_)
    chosen = kmeans.n_clusters_
    figure = new_figure(size)
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(
        ks,
        [kmeans.k_scores_[k] for k in ks],
        color=SILHOUETTE_COLOR,
        marker="o",
        label="silhouette",
    )
    axes.axvline(
        chosen, color=CHOSEN_COLOR, linestyle="--", label=f"chosen k = {chosen}"
    )
    axes.set_xlabel("k (number of groups)")
    axes.set_ylabel("silhouette score", color=SILHOUETTE_COLOR)
    axes.set_xticks(ks if len(ks) <= 20 else ks[:: -(-len(ks) // 20)])
    inertia = axes.twinx()
    inertia.plot(
        ks,
        [kmeans.k_inertias_[k] for k in ks],
        color=INERTIA_COLOR,
        marker=".",
        label="inertia",
    )
    inertia.set_ylabel("inertia (within-group sum of squares)", color=INERTIA_COLOR)
    handles = axes.get_legend_handles_labels()
    more = inertia.get_legend_handles_labels()
    axes.legend(handles[0] + more[0], handles[1] + more[1], loc="best")
    axes.set_title(f"Choosing k by silhouette: k = {chosen}")
    figure.tight_layout()
    return figure


def elbow_plot(
    kmeans: KMeans,
    size: tuple[int, int] = (560, 320),
    path: PathLike | None = None,
) -> Image.Image:
    """Silhouette and inertia against k, with the chosen k marked.

    The silhouette (blue, left axis) is what `KMeans(n_clusters="auto")`
    maximises; the inertia (grey, right axis) is the elbow curve; a dashed
    red line marks the chosen k.

    Args:
        kmeans: a `KMeans` fitted with `n_clusters="auto"`.
        size: `(width, height)` in pixels.
        path: optional PNG file to write too (atomically).

    Returns:
        A `PIL.Image.Image` of `size`; save it with `.save("k_scores.png")`.

    Raises:
        ValueError: if `kmeans` was not fitted with `n_clusters="auto"`.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.clustering import KMeans, elbow_plot
    >>> x = np.random.default_rng(0).normal(size=(60, 4))
    >>> kmeans = KMeans("auto", k_range=(2, 5), random_state=0).fit(x)
    >>> elbow_plot(kmeans).size
    (560, 320)
    """
    figure = elbow_figure(kmeans, size)
    if path is not None:
        save_figure(figure, path)
    return figure_to_image(figure)


def _check_map_inputs(embeddings, groups):
    vectors = np.asarray(embeddings, dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) < 2 or vectors.shape[1] < 2:
        raise ValueError(
            '"embeddings" must be (N, D) with N >= 2 vectors of D >= 2 values. '
            f"Received shape {vectors.shape}"
        )
    if not np.isfinite(vectors).all():
        raise ValueError('"embeddings" must be finite. Received NaN or infinity.')
    labels = np.asarray(groups)
    if labels.shape != (len(vectors),):
        raise ValueError(
            f'"groups" must hold one group per embedding, shape ({len(vectors)},). '
            f"Received shape {labels.shape}"
        )
    return vectors, labels


def embedding_map_figure(
    embeddings: ArrayLike,
    groups: ArrayLike,
    size: tuple[int, int] = (640, 560),
    title: str | None = "Embeddings, first two principal components",
) -> "Figure":
    """The figure `embedding_map` renders: 2-D PCA of the embeddings by group.

    Args:
        embeddings: `(N, D)` vectors, N >= 2, D >= 2.
        groups: `(N,)` group of each vector; negative ids (failed or
            ungrouped inputs) are drawn grey as "no group".
        size: `(width, height)` in pixels.
        title: the figure's title, or `None`.

    Returns:
        A `matplotlib.figure.Figure`: one scatter collection per group, in
        ascending group order, its points the vectors' coordinates on the
        first two principal components (scikit-learn's `PCA`).

    Raises:
        ValueError: if `embeddings` is not `(N, D)` finite with N, D >= 2,
            or `groups` does not hold one group per vector.
    """
    from sklearn.decomposition import PCA

    vectors, labels = _check_map_inputs(embeddings, groups)
    pca = PCA(n_components=2, svd_solver="full").fit(vectors)
    points = pca.transform(vectors)
    ratio = pca.explained_variance_ratio_
    figure = new_figure(size)
    axes = figure.add_subplot(1, 1, 1)
    names = np.unique(labels)
    cmap = _colormap(len(names))
    for i, name in enumerate(names):
        inside = labels == name
        grouped = not (np.issubdtype(names.dtype, np.number) and name < 0)
        axes.scatter(
            points[inside, 0],
            points[inside, 1],
            s=18,
            color=cmap(i) if grouped else UNGROUPED_COLOR,
            label=f"group {name}" if grouped else "no group",
            edgecolors="none",
        )
    axes.set_xlabel(f"PC 1 ({100 * ratio[0]:.1f}% of the variance)")
    axes.set_ylabel(f"PC 2 ({100 * ratio[1]:.1f}% of the variance)")
    if len(names) <= 20:
        axes.legend(fontsize="small", markerscale=1.2, loc="best")
    if title:
        axes.set_title(title)
    figure.tight_layout()
    return figure


def _colormap(count):
    """From an index in `[0, count)` to `count` distinguishable RGBA colours."""
    from matplotlib import colormaps

    if count <= 10:
        return colormaps["tab10"]
    if count <= 20:
        return colormaps["tab20"]
    turbo = colormaps["turbo"]
    return lambda i: turbo(i / max(count - 1, 1))


def embedding_map(
    embeddings: ArrayLike,
    groups: ArrayLike,
    path: PathLike | None = None,
    size: tuple[int, int] = (640, 560),
) -> Image.Image:
    """A map of the embeddings: their first two principal components, by group.

    Projects the vectors on the two directions of largest variance (PCA)
    and colours each point by its group, so well separated groups show as
    separate clouds. The axis labels give the share of the variance each
    component holds: with a small share, the map shows little of the
    embedding's structure and groups may overlap on it while being apart.

    Args:
        embeddings: `(N, D)` vectors, N >= 2, D >= 2 (for example
            `GroupingResult.embeddings`).
        groups: `(N,)` group of each vector (for example the grouped
            inputs' `assignments`); negative ids are drawn grey.
        path: optional PNG file to write (atomically).
        size: `(width, height)` in pixels.

    Returns:
        The map as a `PIL.Image.Image` of `size`.

    Raises:
        ValueError: if `embeddings` is not `(N, D)` finite with N, D >= 2,
            or `groups` does not hold one group per vector.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.clustering import embedding_map
    >>> rng = np.random.default_rng(0)
    >>> vectors = rng.normal(0, 1, (40, 8)) + 5 * (np.arange(40) >= 20)[:, None]
    >>> embedding_map(vectors, [0] * 20 + [1] * 20).size
    (640, 560)
    """
    figure = embedding_map_figure(embeddings, groups, size)
    if path is not None:
        save_figure(figure, path)
    return figure_to_image(figure)
