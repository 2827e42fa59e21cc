import sys

import numpy as np
import pytest
from sklearn import cluster as sk_cluster
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from keras_patterns.clustering import KMeans
from keras_patterns.clustering import elbow_plot


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(600, n_features=8, centers=5, cluster_std=0.6, random_state=3)


def test_lloyd_reproduces_scikit_learn(blobs):
    x, _ = blobs
    ours = KMeans(5, random_state=7).fit(x)
    theirs = sk_cluster.KMeans(5, random_state=7).fit(x)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_)
    assert ours.inertia_ == pytest.approx(theirs.inertia_)
    np.testing.assert_array_equal(ours.predict(x[:50]), theirs.predict(x[:50]))
    np.testing.assert_allclose(
        ours.transform(x[:5]), theirs.transform(x[:5]), rtol=1e-6
    )


def test_auto_finds_the_true_k(blobs):
    x, y = blobs
    model = KMeans("auto", k_range=(2, 9), random_state=0).fit(x)
    assert model.n_clusters_ == 5
    assert set(model.k_scores_) == set(range(2, 10))
    assert max(model.k_scores_, key=model.k_scores_.get) == 5
    assert adjusted_rand_score(y, model.labels_) > 0.99
    image = elbow_plot(model)
    assert image.size == (560, 320)


def test_partial_fit_matches_in_memory_fit(blobs):
    x, y = blobs
    full = KMeans(5, method="minibatch", random_state=0, batch_size=256).fit(x)
    online = KMeans(5, method="minibatch", random_state=0, batch_size=256)
    order = np.random.default_rng(0).permutation(len(x))
    for _ in range(3):
        for chunk in np.array_split(x[order], 6):
            online.partial_fit(chunk)
    agreement = adjusted_rand_score(full.predict(x), online.predict(x))
    assert agreement >= 0.95, agreement
    assert adjusted_rand_score(y, online.predict(x)) >= 0.95


def test_spherical_kmeans():
    rng = np.random.default_rng(1)
    # Two directions 60 degrees apart, each with short (length 1) and long
    # (length 20) vectors: the angle tells the clusters, while Euclidean
    # k-means splits short from long.
    angles = np.radians([0.0, 60.0])
    directions = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    lengths = np.repeat([1.0, 20.0], 25)[:, None]
    x = np.concatenate([d * lengths + rng.normal(0, 0.05, (50, 2)) for d in directions])
    y = np.repeat(np.arange(2), 50)
    model = KMeans(2, metric="cosine", random_state=0).fit(x)
    assert adjusted_rand_score(y, model.labels_) == 1.0
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_, axis=1), 1.0)
    np.testing.assert_array_equal(
        model.predict(x * 10), model.labels_
    )  # scale is ignored
    euclidean = KMeans(2, random_state=0).fit(x)
    assert adjusted_rand_score(y, euclidean.labels_) < 0.5
    minibatch = KMeans(2, metric="cosine", method="minibatch", random_state=0).fit(x)
    assert adjusted_rand_score(y, minibatch.labels_) == 1.0


def test_estimator_api_and_determinism(blobs):
    x, _ = blobs
    model = KMeans(4, random_state=2)
    assert model.get_params()["n_clusters"] == 4
    model.set_params(n_clusters=5)
    first = clone(model).fit_predict(x)
    second = clone(model).fit_predict(x)
    np.testing.assert_array_equal(first, second)
    assert model.fit(x) is model


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_clusters": 0}, "n_clusters"),
        ({"n_clusters": "many"}, "n_clusters"),
        ({"metric": "manhattan"}, "metric"),
        ({"method": "elkan"}, "method"),
        ({"n_clusters": "auto", "k_range": (1, 3)}, "k_range"),
    ],
)
def test_bad_parameters(blobs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        KMeans(**kwargs).fit(blobs[0])


def test_unfitted_and_wrong_inputs(blobs):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        KMeans(3).predict(blobs[0])
    model = KMeans(3, random_state=0).fit(blobs[0])
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        KMeans(3).fit(np.full((10, 2), np.nan))
    with pytest.raises(ValueError, match="partial_fit"):
        KMeans(3).partial_fit(blobs[0])


def test_faiss_method_explains_the_missing_extra(blobs, monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss fails
    with pytest.raises(ImportError, match=r'pip install "keras-patterns\[faiss\]"'):
        KMeans(3, method="faiss").fit(blobs[0])


@pytest.mark.extra("faiss")
def test_faiss_method_finds_the_blobs(blobs):
    model = KMeans(5, method="faiss", random_state=0).fit(blobs[0])
    assert adjusted_rand_score(blobs[1], model.labels_) > 0.95


def test_auto_scores_k_on_a_sample_then_fits_every_vector():
    x, y = make_blobs(6000, n_features=8, centers=5, cluster_std=0.6, random_state=4)
    model = KMeans("auto", k_range=(2, 8), random_state=0, auto_samples=500).fit(x)
    assert model.n_clusters_ == 5
    assert len(model.labels_) == 6000 and adjusted_rand_score(y, model.labels_) > 0.99
    # The search ran on the sample: the same scores as "auto" on those 500
    # vectors alone (the same rows, drawn from the same seed).
    seed = np.random.RandomState(0).randint(2**31 - 1)
    rows = np.sort(np.random.RandomState(seed).choice(6000, 500, False))
    alone = KMeans("auto", k_range=(2, 8), random_state=0).fit(x[rows])
    assert model.k_scores_ == pytest.approx(alone.k_scores_)


def test_spherical_lloyd_memory_mapped_unit_vectors(tmp_path):
    x, y = make_blobs(400, n_features=6, centers=3, cluster_std=0.3, random_state=5)
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    from_disk = KMeans(3, metric="cosine", random_state=0).fit(mapped)
    in_memory = KMeans(3, metric="cosine", random_state=0).fit(x * 3.0)
    np.testing.assert_array_equal(from_disk.labels_, in_memory.labels_)
    np.testing.assert_allclose(
        from_disk.cluster_centers_, in_memory.cluster_centers_, atol=1e-5
    )
