"""Catalogues of one, two and three products: "auto" k-means and the grouper."""

import logging

import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.clustering import KMeans


def _vectors(n):
    return np.random.default_rng(0).normal(size=(n, 4))


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("n", [1, 2])
def test_auto_without_a_scorable_k_falls_back_to_one_group(n, metric, caplog):
    # The silhouette scores 2 <= k <= n - 1 only: none for n < 3.
    with caplog.at_level(logging.WARNING, logger="keras_patterns.clustering.kmeans"):
        model = KMeans("auto", metric=metric, random_state=0).fit(_vectors(n))
    assert model.n_clusters_ == 1
    assert model.k_scores_ == {} and model.k_inertias_ == {}
    assert model.cluster_centers_.shape == (1, 4)
    np.testing.assert_array_equal(model.labels_, np.zeros(n))
    np.testing.assert_array_equal(model.predict(_vectors(n)), np.zeros(n))
    assert "one group" in caplog.text and f"{n} vector" in caplog.text


def test_auto_scores_the_single_candidate_of_three_vectors():
    model = KMeans("auto", random_state=0).fit(_vectors(3))
    assert model.n_clusters_ == 2
    assert list(model.k_scores_) == [2] and list(model.k_inertias_) == [2]
    assert -1.0 <= model.k_scores_[2] <= 1.0


def test_auto_on_four_vectors_tries_two_and_three():
    model = KMeans("auto", random_state=0).fit(_vectors(4))
    assert set(model.k_scores_) == {2, 3}
    assert model.n_clusters_ == max(model.k_scores_, key=model.k_scores_.get)


def test_auto_range_above_the_vectors_uses_the_largest_scorable_k(caplog):
    with caplog.at_level(logging.WARNING, logger="keras_patterns.clustering.kmeans"):
        model = KMeans("auto", k_range=(5, 8), random_state=0).fit(_vectors(4))
    assert model.n_clusters_ == 3 and list(model.k_scores_) == [3]
    assert "k_range" in caplog.text


def test_auto_samples_must_leave_room_for_the_k_range():
    with pytest.raises(ValueError, match=r'"auto_samples".*Received: auto_samples=5'):
        KMeans("auto", k_range=(2, 8), auto_samples=5).fit(_vectors(50))


@pytest.fixture(scope="module")
def patches(swatches):
    return swatches[:3]


@pytest.mark.parametrize("clusterer", ["preset", "default"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_grouper_groups_a_tiny_catalogue(patches, n, clusterer):
    # "preset": from_preset's unfitted KMeans("auto"); "default": none given,
    # so fit_group makes its own.
    overrides = {"clusterer": None} if clusterer == "default" else {}
    grouper = kp.PatternGrouper.from_preset(
        "patterns_synthetic", progress=False, flip_views=False, **overrides
    )
    result = grouper.fit_group(patches[:n])
    assert result.failures == []
    assert len(result.items) == n
    assert all(item.group >= 0 for item in result.items)
    assert grouper.clusterer.n_clusters_ == (1 if n < 3 else 2)
    again = grouper.group(patches[:n])
    assert [item.group for item in again.items] == [item.group for item in result.items]
