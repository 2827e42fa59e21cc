"""`keras_patterns.integrations.ray` on a local two-CPU Ray cluster.

The Ray embeddings are compared with the in-process `PatternGrouper.embed`
at atol=1e-5: the same model, weights, backend and inputs, but the actor
embeds in other batch sizes than the in-process call, and CPU kernels may
block a batch differently, which moves float32 sums by ~1e-7 on these
unit-norm vectors; a wrong patch, resize or model would move them by ~1e-1.
"""

import sys

import numpy as np
import pytest
from PIL import Image

import keras_patterns as kp
from keras_patterns.integrations import ray as kp_ray

pytestmark = pytest.mark.extra("ray")

ATOL = 1e-5


@pytest.fixture(scope="module")
def cluster():
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        ignore_reinit_error=True,
        log_to_driver=False,
        configure_logging=False,
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def patches(swatches):
    return list(swatches)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, patches):
    grouper = kp.PatternGrouper.from_preset(
        "patterns_synthetic",
        clusterer=kp.clustering.KMeans(2, metric="cosine", random_state=0),
        progress=False,
    ).fit(patches)
    return grouper, grouper.save(tmp_path_factory.mktemp("grouper"))


def by_sku(dataset):
    rows = sorted(dataset.take_all(), key=lambda row: row["sku"])
    return {name: [row[name] for row in rows] for name in rows[0]}


def test_image_rows_get_the_in_process_embeddings_and_groups(cluster, patches, fitted):
    import ray

    grouper, directory = fitted
    rows = [{"image": p, "sku": f"s{i}", "price": i} for i, p in enumerate(patches)]
    out = by_sku(kp_ray.embed(ray.data.from_items(rows), directory, batch_size=4))
    expected = grouper.embed(patches)
    np.testing.assert_allclose(
        np.stack(out["embedding"]), expected.embeddings, rtol=0, atol=ATOL
    )
    assert out["group"] == list(grouper.group(patches).assignments)
    assert out["error"] == [""] * 6
    assert out["price"] == list(range(6))
    np.testing.assert_array_equal(np.stack(out["image"]), np.stack(patches))


def test_path_rows_report_a_bad_file_and_embed_the_rest(
    cluster, patches, fitted, tmp_path
):
    import ray

    grouper, directory = fitted
    paths = []
    for i, patch in enumerate(patches):
        paths.append(str(tmp_path / f"p{i}.png"))
        Image.fromarray(patch).save(paths[-1])  # lossless: the same pixels
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    rows = [{"path": p, "sku": f"s{i}"} for i, p in enumerate([*paths, str(broken)])]
    dataset = kp_ray.embed(ray.data.from_items(rows), directory, batch_size=3)
    dataset = dataset.materialize()
    out = by_sku(dataset)
    embeddings = np.stack(out["embedding"])
    np.testing.assert_allclose(
        embeddings[:6], grouper.embed(patches).embeddings, rtol=0, atol=ATOL
    )
    assert np.isnan(embeddings[6]).all()
    assert out["group"] == [*grouper.group(patches).assignments, -1]
    assert out["error"][:6] == [""] * 6 and "unreadable image" in out["error"][6]

    written = kp_ray.embeddings_to_npy(dataset, tmp_path / "e.npy", id_column="sku")
    ids = np.load(tmp_path / "e.ids.npy")
    vectors = np.load(written, mmap_mode="r")
    assert sorted(ids) == [f"s{i}" for i in range(6)] and vectors.shape == (
        6,
        embeddings.shape[1],
    )
    order = [int(sku[1:]) for sku in ids]
    np.testing.assert_array_equal(vectors, embeddings[order])


def test_a_preset_gives_embeddings_without_groups(cluster, patches):
    import ray

    sizes = [patch[: 48 + 4 * i, : 48 + 4 * i] for i, patch in enumerate(patches)]
    rows = [{"image": p, "sku": f"s{i}"} for i, p in enumerate(sizes)]
    dataset = kp_ray.embed(ray.data.from_items(rows), "patterns_synthetic")
    out = by_sku(dataset)
    grouper = kp.PatternGrouper.from_preset("patterns_synthetic", progress=False)
    np.testing.assert_allclose(
        np.stack(out["embedding"]), grouper.embed(sizes).embeddings, rtol=0, atol=ATOL
    )
    assert "group" not in out


def test_the_actor_takes_stacked_and_ragged_image_columns(patches, fitted):
    """Ray hands same-size images as one (B, H, W, 3) array, mixed sizes as an
    object array of images; an empty batch keeps the embedding width."""
    grouper, directory = fitted
    files = kp_ray._grouper_files(directory)
    actor = kp_ray._Embedder(files, "image", is_path=False, garment_column=None)
    stacked = actor({"image": np.stack(patches[:3]), "id": np.arange(3)})
    ragged = np.empty(2, object)
    ragged[:] = [patches[0], patches[1][:40, :50]]
    mixed = actor({"image": ragged, "id": np.arange(2)})
    expected = grouper.embed([*patches[:3], patches[1][:40, :50]]).embeddings
    np.testing.assert_allclose(stacked["embedding"], expected[:3], rtol=0, atol=ATOL)
    np.testing.assert_allclose(mixed["embedding"][1], expected[3], rtol=0, atol=ATOL)
    np.testing.assert_array_equal(stacked["id"], np.arange(3))
    empty = actor({"image": np.zeros((0, 64, 64, 3), np.uint8)})
    assert empty["embedding"].shape == (0, expected.shape[1]) and empty[
        "group"
    ].shape == (0,)


def test_a_dataset_without_images_or_paths_is_refused(cluster, fitted):
    import ray

    dataset = ray.data.from_items([{"sku": "a", "url": "http://x"}])
    with pytest.raises(ValueError, match=r"\"image\".*\"path\".*'sku', 'url'"):
        kp_ray.embed(dataset, fitted[1])
    images = ray.data.from_items([{"image": np.zeros((8, 8, 3), np.uint8)}])
    with pytest.raises(ValueError, match="concurrency=0"):
        kp_ray.embed(images, fitted[1], concurrency=0)
    with pytest.raises(ValueError, match="garment_column='kind'"):
        kp_ray.embed(images, fitted[1], garment_column="kind")
    taken = ray.data.from_items([{"path": "a.png", "error": ""}])
    with pytest.raises(ValueError, match=r"\['error'\]"):
        kp_ray.embed(taken, fitted[1])
    with pytest.raises(ValueError, match="grouper_dir='no/such/folder'"):
        kp_ray.embed(images, "no/such/folder")


def test_without_ray_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"keras-patterns\[ray\]"):
        kp_ray.embed(None, "patterns_synthetic")


def test_workers_get_the_models_not_the_search_catalogue(fitted):
    _, folder = fitted
    shipped = kp_ray._grouper_files(folder)
    assert (folder / "catalogue_embeddings.npy").is_file()
    assert sorted(shipped) == ["clusterer.npz", "config.json", "embedder.keras"]
