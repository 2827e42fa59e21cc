import json
import logging

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors

from keras_patterns.clustering import NeighborIndex

needs_faiss = pytest.mark.extra("faiss")
METRICS = ("euclidean", "cosine")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    catalogue = rng.normal(size=(300, 16)).astype(np.float32)
    # New vectors, then five catalogue rows: their own nearest is themselves.
    queries = np.concatenate([rng.normal(size=(40, 16)), catalogue[:5]])
    return catalogue, queries.astype(np.float32)


@pytest.fixture(scope="module")
def clustered():
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(100, 32)).astype(np.float32)

    def draw(n):
        labels = rng.integers(0, len(centers), n)
        noise = rng.normal(scale=0.3, size=(n, 32)).astype(np.float32)
        return centers[labels] + noise

    return draw(20_000), draw(500)


def reference(catalogue, queries, metric, k):
    """scikit-learn's brute force, in float64 on the same float32 values."""
    model = NearestNeighbors(n_neighbors=k, metric=metric, algorithm="brute")
    return model.fit(catalogue.astype(np.float64)).kneighbors(queries)


def recall(found, truth):
    return np.mean(
        [len(set(a) & set(b)) / len(b) for a, b in zip(found, truth, strict=True)]
    )


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [1, 10, 300])
def test_exact_equals_scikit_learn(data, metric, k):
    catalogue, queries = data
    expected_distances, expected_indices = reference(catalogue, queries, metric, k)
    index = NeighborIndex(metric=metric, method="exact").fit(catalogue)
    distances, indices = index.kneighbors(queries, n_neighbors=k)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-12, atol=1e-12)
    assert distances.shape == indices.shape == (len(queries), k)
    np.testing.assert_array_equal(indices[-5:, 0], np.arange(5))
    np.testing.assert_allclose(distances[-5:, 0], 0.0, atol=1e-6)
    # Several blocks of 7 queries (the last one shorter) give the same answer.
    blocked = NeighborIndex(metric=metric, method="exact", block_size=7)
    np.testing.assert_array_equal(
        blocked.fit(catalogue).kneighbors(queries, k)[1], indices
    )
    np.testing.assert_array_equal(
        index.kneighbors(queries, k, return_distance=False), indices
    )


def test_ties_keep_the_lower_index_first():
    # Rows 1, 3 and 5 are copies of one vector, rows 0, 2, 4 and 6 of another.
    catalogue = np.array([[0, 1], [1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1.0]])
    index = NeighborIndex(metric="euclidean", method="exact").fit(catalogue)
    _, indices = index.kneighbors([[1.0, 0.0], [0.0, 1.0]], n_neighbors=5)
    np.testing.assert_array_equal(indices, [[1, 3, 5, 0, 2], [0, 2, 4, 6, 1]])
    _, indices = index.kneighbors([[1.0, 0.0]], n_neighbors=2)  # a cut in a tie
    np.testing.assert_array_equal(indices, [[1, 3]])
    # A zero vector is at cosine distance 1 from everything, as in scikit-learn.
    cosine = NeighborIndex(method="exact").fit(catalogue)
    distances, indices = cosine.kneighbors([[0.0, 0.0]], n_neighbors=3)
    np.testing.assert_allclose(distances, 1.0)
    np.testing.assert_array_equal(indices, [[0, 1, 2]])


@needs_faiss
@pytest.mark.parametrize("metric", METRICS)
def test_flat_equals_exact(data, metric):
    catalogue, queries = data
    exact = NeighborIndex(metric=metric, method="exact").fit(catalogue)
    flat = NeighborIndex(metric=metric, method="flat").fit(catalogue)
    assert flat.method_ == "flat" and flat.index_.ntotal == len(catalogue)
    for k in (1, 10, len(catalogue)):
        want, got = exact.kneighbors(queries, k), flat.kneighbors(queries, k)
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-12)


@needs_faiss
@pytest.mark.parametrize("metric", METRICS)
def test_ivf_recall(clustered, metric):
    catalogue, queries = clustered
    exact = NeighborIndex(metric=metric, method="exact").fit(catalogue)
    truth_distances, truth = exact.kneighbors(queries, 10)
    ivf = NeighborIndex(metric=metric, method="ivf").fit(catalogue)  # nprobe=8
    assert ivf.nlist_ == 512  # 20,000 / 39: each list has 39 vectors to train on
    distances, found = ivf.kneighbors(queries, 10)
    assert recall(found, truth) >= 0.9
    assert np.all(np.diff(distances, axis=1) >= 0)
    # Probing every list is exhaustive: the exact answer.
    ivf.set_params(nprobe=ivf.nlist_)
    distances, found = ivf.kneighbors(queries, 10)
    np.testing.assert_array_equal(found, truth)
    np.testing.assert_allclose(distances, truth_distances, rtol=1e-12, atol=1e-12)


@needs_faiss
def test_ivf_answers_exactly_when_the_probed_lists_are_short(data):
    catalogue, queries = data
    ivf = NeighborIndex(method="ivf", nlist=100, nprobe=1).fit(catalogue)
    exact = NeighborIndex(method="exact").fit(catalogue)
    # One list of about 3 vectors cannot hold 50 neighbours.
    np.testing.assert_array_equal(
        ivf.kneighbors(queries, 50)[1], exact.kneighbors(queries, 50)[1]
    )


def test_auto_chooses_by_size(data, caplog):
    catalogue, queries = data
    with caplog.at_level(logging.INFO, logger="keras_patterns"):
        small = NeighborIndex(exact_below=1000).fit(catalogue)
    assert small.method_ == "exact" and small.index_ is None
    assert "chose 'exact'" in caplog.text


@needs_faiss
def test_auto_chooses_ivf_for_a_large_catalogue_with_faiss(data):
    large = NeighborIndex(exact_below=100).fit(data[0])
    assert large.method_ == "ivf"


@pytest.mark.parametrize("method", ["exact", pytest.param("ivf", marks=needs_faiss)])
def test_save_and_load(tmp_path, data, method):
    catalogue, queries = data
    index = NeighborIndex(method=method, nlist=10, nprobe=3).fit(catalogue)
    assert index.save(tmp_path / "index") == tmp_path / "index"
    loaded = NeighborIndex.load(tmp_path / "index")
    assert loaded.get_params() == index.get_params()
    assert loaded.method_ == method and loaded.nlist_ == index.nlist_
    pairs = zip(
        loaded.kneighbors(queries, 7), index.kneighbors(queries, 7), strict=True
    )
    for got, want in pairs:
        np.testing.assert_array_equal(got, want)
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == sorted(
        ["neighbors.json", "vectors.npy"]
        + (["centroids.npy"] if method == "ivf" else [])
    )


def test_load_names_the_bad_file(tmp_path, data):
    folder = tmp_path / "index"
    with pytest.raises(FileNotFoundError, match="neighbors.json is missing"):
        NeighborIndex.load(folder)
    NeighborIndex(method="exact").fit(data[0]).save(folder)
    (folder / "vectors.npy").unlink()
    with pytest.raises(FileNotFoundError, match="vectors.npy is missing"):
        NeighborIndex.load(folder)
    (folder / "vectors.npy").write_bytes(b"not an array")
    with pytest.raises(ValueError, match="vectors.npy is not a valid .npy file"):
        NeighborIndex.load(folder)
    np.save(folder / "vectors.npy", np.zeros((3, 16)))
    with pytest.raises(ValueError, match=r"vectors.npy must hold a float32 array"):
        NeighborIndex.load(folder)
    np.save(folder / "vectors.npy", np.array([{"pickled": True}]), allow_pickle=True)
    with pytest.raises(ValueError, match="vectors.npy is not a valid .npy file"):
        NeighborIndex.load(folder)
    settings = json.loads((folder / "neighbors.json").read_text())
    (folder / "neighbors.json").write_text(json.dumps({**settings, "method": "x"}))
    with pytest.raises(ValueError, match="neighbors.json does not describe"):
        NeighborIndex.load(folder)
    (folder / "neighbors.json").write_text("{truncated")
    with pytest.raises(ValueError, match="neighbors.json is not valid JSON"):
        NeighborIndex.load(folder)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"metric": "manhattan"}, "metric='manhattan'"),
        ({"method": "hnsw"}, "method='hnsw'"),
        ({"nlist": 0}, "nlist=0"),
        ({"nprobe": 2.5}, "nprobe=2.5"),
        ({"exact_below": -1}, "exact_below=-1"),
        ({"block_size": 0}, "block_size=0"),
    ],
)
def test_bad_settings_name_the_argument(data, params, match):
    with pytest.raises(ValueError, match=match):
        NeighborIndex(**params).fit(data[0])


def test_bad_data_names_the_argument(data):
    catalogue, queries = data
    index = NeighborIndex().fit(catalogue)
    with pytest.raises(ValueError, match=r"n_neighbors.*<= 300.*n_neighbors=301"):
        index.kneighbors(queries, 301)
    with pytest.raises(ValueError, match="n_neighbors=0"):
        index.kneighbors(queries, 0)
    with pytest.raises(ValueError, match=r'"X" must have 16 features.*\(2, 3\)'):
        index.kneighbors(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r'"X" must be a 2-D array.*\(16,\)'):
        index.kneighbors(queries[0])
    nan = queries.copy()
    nan[[3, 8], 1] = np.nan
    with pytest.raises(ValueError, match=r'"X" must hold finite.*2 rows.*\[3, 8\]'):
        index.kneighbors(nan)
    with pytest.raises(ValueError, match=r'"X" must hold finite'):
        NeighborIndex().fit(nan)
    with pytest.raises(ValueError, match=r'"nlist" must be <= 300.*nlist=400'):
        NeighborIndex(method="ivf", nlist=400).fit(catalogue)


def test_estimator_api(data):
    catalogue, queries = data
    index = NeighborIndex(metric="euclidean", nprobe=4)
    assert clone(index).get_params() == index.get_params()
    assert index.fit(catalogue) is index
    assert index.vectors_ is catalogue  # float32: no copy, as scikit-learn
    assert (
        NeighborIndex().fit(catalogue.astype(np.float64)).vectors_.dtype == np.float32
    )
    assert (index.n_samples_fit_, index.n_features_in_) == (300, 16)
    with pytest.raises(Exception, match="not fitted"):
        NeighborIndex().kneighbors(queries)


def test_without_faiss(monkeypatch, data):
    import builtins

    real_import = builtins.__import__

    def no_faiss(name, *args, **kwargs):
        if name == "faiss":
            raise ImportError("No module named 'faiss'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    with pytest.raises(ImportError, match=r'pip install "keras-patterns\[faiss\]"'):
        NeighborIndex(method="flat").fit(data[0])
    assert NeighborIndex(exact_below=10).fit(data[0]).method_ == "exact"
