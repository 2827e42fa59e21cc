"""The elbow plot and the embedding map: drawn data against independent answers."""

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from PIL import Image

from keras_patterns.clustering import KMeans
from keras_patterns.clustering import elbow_plot
from keras_patterns.clustering import embedding_map
from keras_patterns.clustering.plots import UNGROUPED_COLOR
from keras_patterns.clustering.plots import elbow_figure
from keras_patterns.clustering.plots import embedding_map_figure

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def fitted():
    centres = RNG.normal(0, 10, (4, 6))
    x = np.concatenate([c + RNG.normal(0, 0.5, (25, 6)) for c in centres])
    return KMeans("auto", k_range=(2, 7), random_state=0).fit(x)


def test_elbow_figure_draws_the_scores_and_marks_the_chosen_k(fitted):
    figure = elbow_figure(fitted)
    silhouette, inertia = figure.axes
    assert silhouette.get_xlabel() == "k (number of groups)"
    assert silhouette.get_ylabel() == "silhouette score"
    assert inertia.get_ylabel().startswith("inertia")
    line, chosen = silhouette.lines
    np.testing.assert_array_equal(line.get_xdata(), range(2, 8))
    np.testing.assert_allclose(
        line.get_ydata(), [fitted.k_scores_[k] for k in range(2, 8)]
    )
    np.testing.assert_allclose(
        inertia.lines[0].get_ydata(), [fitted.k_inertias_[k] for k in range(2, 8)]
    )
    # Four well separated blobs: the best silhouette, and the marked k, is 4.
    assert fitted.n_clusters_ == 4
    assert list(chosen.get_xdata()) == [4, 4]
    assert chosen.get_label() == "chosen k = 4"


def test_elbow_plot_keeps_its_pixel_size_and_writes_png(fitted, tmp_path):
    image = elbow_plot(fitted, size=(600, 300), path=tmp_path / "k.png")
    assert isinstance(image, Image.Image) and image.size == (600, 300)
    with Image.open(tmp_path / "k.png") as saved:
        assert saved.size == (600, 300)


def test_elbow_plot_needs_auto_k():
    fixed = KMeans(3, random_state=0).fit(RNG.normal(size=(20, 2)))
    with pytest.raises(
        ValueError, match='"kmeans" must be fitted with n_clusters="auto"'
    ):
        elbow_plot(fixed)


def test_embedding_map_is_the_pca_projection():
    vectors = RNG.normal(size=(30, 5)) * [5.0, 3.0, 1.0, 0.5, 0.1]
    groups = np.repeat([2, 0, 1], 10)
    figure = embedding_map_figure(vectors, groups)
    (axes,) = figure.axes
    # Independent answer: the centred data's two leading right singular
    # vectors (signs are arbitrary, so compare up to a sign per axis).
    centred = vectors - vectors.mean(0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ vt[:2].T
    drawn = np.zeros_like(expected)
    for name, collection in zip([0, 1, 2], axes.collections, strict=True):
        drawn[groups == name] = collection.get_offsets()
    signs = np.sign((drawn * expected).sum(0))
    np.testing.assert_allclose(drawn * signs, expected, atol=1e-9)
    share = singular**2 / (singular**2).sum()
    assert axes.get_xlabel() == f"PC 1 ({100 * share[0]:.1f}% of the variance)"
    assert axes.get_ylabel() == f"PC 2 ({100 * share[1]:.1f}% of the variance)"
    labels = [t.get_text() for t in axes.get_legend().get_texts()]
    assert labels == ["group 0", "group 1", "group 2"]


def test_negative_groups_are_grey_and_the_png_is_written(tmp_path):
    vectors = RNG.normal(size=(12, 4))
    groups = np.array([-1, -1] + [0] * 5 + [1] * 5)
    axes = embedding_map_figure(vectors, groups).axes[0]
    first = axes.collections[0]
    assert len(first.get_offsets()) == 2
    np.testing.assert_allclose(first.get_facecolor()[0], to_rgba(UNGROUPED_COLOR))
    assert axes.get_legend().get_texts()[0].get_text() == "no group"
    image = embedding_map(vectors, groups, tmp_path / "map.png", size=(400, 300))
    assert image.size == (400, 300)
    with Image.open(tmp_path / "map.png") as saved:
        assert saved.size == (400, 300)


@pytest.mark.parametrize(
    "vectors, groups, match",
    [
        (np.zeros((1, 4)), [0], '"embeddings" must be \\(N, D\\)'),
        (np.zeros((5, 1)), [0] * 5, '"embeddings" must be \\(N, D\\)'),
        (np.full((3, 2), np.nan), [0] * 3, '"embeddings" must be finite'),
        (np.zeros((3, 2)), [0, 1], '"groups" must hold one group per embedding'),
    ],
)
def test_bad_input_is_named(vectors, groups, match):
    with pytest.raises(ValueError, match=match):
        embedding_map(vectors, groups)
