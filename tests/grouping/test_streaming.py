"""Catalogue scale: streamed inputs, embeddings on disk, "more like this"."""

import numpy as np
import pytest
from PIL import Image
from sklearn.neighbors import NearestNeighbors

import keras_patterns as kp
from keras_patterns.grouping.inputs import iter_inputs
from tests.helpers import traced_peak


@pytest.fixture(scope="module")
def patches():
    return kp.datasets.make_pattern_patches(
        24, (48, 48), seed=5, families=["polka_dots", "plaid", "chevron"]
    )["images"]


@pytest.fixture(scope="module")
def embedder(tiny_embedder):
    return tiny_embedder


def make_grouper(embedder, clusters=3, **kwargs):
    return kp.PatternGrouper(
        embedder=embedder,
        clusterer=kp.clustering.KMeans(clusters, metric="cosine", random_state=0),
        patch_size=48,
        flip_views=False,
        progress=False,
        **kwargs,
    )


def test_a_generator_gives_what_the_list_gives(patches, embedder):
    listed = make_grouper(embedder, batch_size=5).fit_group(list(patches))
    streamed = make_grouper(embedder, batch_size=5).fit_group(
        image for image in patches
    )
    np.testing.assert_allclose(streamed.embeddings, listed.embeddings, atol=1e-6)
    np.testing.assert_array_equal(streamed.assignments, listed.assignments)
    assert [item.source for item in streamed.items] == [
        f"#{i}" for i in range(len(patches))
    ]
    # Arrays from an iterator are not held by the result; a list's are.
    assert all(item.input is None for item in streamed.items)
    assert all(item.input is not None for item in listed.items)


def test_a_folder_is_walked_in_sorted_order(tmp_path, patches):
    for name in ("b/z.png", "a.png", "b/a/x.png", "a/y.png", "c.jpg"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(patches[0]).save(tmp_path / name)
    (tmp_path / "b.txt").write_text("not an image")
    (tmp_path / "empty").mkdir()
    expected = [
        str(p) for p in sorted(tmp_path.rglob("*")) if p.suffix in (".png", ".jpg")
    ]
    assert len(expected) == 5
    assert [source for source, _ in iter_inputs(tmp_path)] == expected
    with pytest.raises(ValueError, match="holds no image file"):
        list(iter_inputs(tmp_path / "empty"))


def test_garments_must_cover_a_generator(patches, embedder):
    grouper = make_grouper(embedder, batch_size=4)
    with pytest.raises(ValueError, match='"garments"'):
        grouper.fit((image for image in patches[:6]), garments=[None] * 5)


def test_embeddings_go_to_disk_as_they_come(tmp_path, patches, embedder):
    in_memory = make_grouper(embedder, batch_size=7).fit_group(list(patches))
    path = tmp_path / "out" / "embeddings.npy"
    grouper = make_grouper(embedder, batch_size=7)
    on_disk = grouper.fit_group(list(patches), embeddings_path=path)
    stored = np.load(path)
    assert stored.shape == (len(patches), 8) and stored.dtype == np.float32
    np.testing.assert_allclose(stored, in_memory.embeddings, atol=1e-6)
    np.testing.assert_array_equal(on_disk.assignments, in_memory.assignments)
    # The result's rows are views of the memory-mapped file, not copies.
    assert isinstance(on_disk.items[0].embedding.base, np.memmap)
    # Assigning with a fitted grouper writes the same file.
    again = grouper.group(list(patches), embeddings_path=tmp_path / "again.npy")
    np.testing.assert_allclose(np.load(tmp_path / "again.npy"), stored, atol=1e-6)
    np.testing.assert_array_equal(again.assignments, in_memory.assignments)


def test_similar_is_the_brute_force_neighbours_and_survives_saving(
    tmp_path, patches, embedder
):
    catalogue = [np.full((48, 48, 3), np.nan)] + list(patches[:20])  # 0 fails
    grouper = make_grouper(embedder)
    result = grouper.fit_group(catalogue)
    assert result.items[0].error and all(item.ok for item in result.items[1:])
    queries = [patches[20], patches[3], np.full((48, 48, 3), np.nan)]
    distances, indices = grouper.similar(queries, k=5)
    # Brute force: scikit-learn over the catalogue's embeddings, in cosine
    # distance, mapped back to positions in the fitted inputs (item 0 failed).
    vectors = result.embeddings
    query_vectors = make_grouper(embedder).embed(queries[:2]).embeddings
    reference = NearestNeighbors(n_neighbors=5, metric="cosine", algorithm="brute")
    expected_d, expected_i = reference.fit(vectors).kneighbors(query_vectors)
    np.testing.assert_allclose(distances[:2], expected_d, atol=1e-5)
    np.testing.assert_array_equal(indices[:2], expected_i + 1)
    assert indices[1, 0] == 4 and distances[1, 0] < 1e-5  # patches[3] itself
    assert (indices[2] == -1).all() and np.isnan(distances[2]).all()
    restored = kp.PatternGrouper.load(grouper.save(tmp_path / "g"), progress=False)
    again_d, again_i = restored.similar(queries[:2], k=5)
    np.testing.assert_array_equal(again_i, indices[:2])
    np.testing.assert_allclose(again_d, distances[:2], atol=1e-6)
    assert restored.catalogue_sources_ == [f"#{i}" for i in range(1, 21)]
    assert isinstance(restored.catalogue_embeddings_, np.memmap)
    (tmp_path / "g" / "catalogue_embeddings.npy").write_bytes(b"broken")
    with pytest.raises(ValueError, match="catalogue_embeddings.npy"):
        kp.PatternGrouper.load(tmp_path / "g", progress=False)
    with pytest.raises(ValueError, match='"k"'):
        grouper.similar(queries[:1], k=0)


def test_similar_needs_a_catalogue(patches, embedder):
    with pytest.raises(ValueError, match="similar\\(\\) needs the catalogue"):
        make_grouper(embedder).similar(list(patches[:2]))


def test_embed_gives_embeddings_and_groups_only_when_fitted(patches, embedder):
    grouper = make_grouper(embedder)
    unfitted = grouper.embed(list(patches[:6]))
    assert (unfitted.assignments == -1).all() and unfitted.embeddings.shape == (6, 8)
    grouper.fit(list(patches))
    fitted = grouper.embed(list(patches[:6]))
    np.testing.assert_allclose(fitted.embeddings, unfitted.embeddings, atol=1e-6)
    np.testing.assert_array_equal(
        fitted.assignments, grouper.predict(list(patches[:6]))
    )
    with pytest.raises(ValueError, match="needs an embedder"):
        kp.PatternGrouper(progress=False).embed(list(patches[:2]))


def test_streaming_6000_patches_grows_memory_by_a_few_kb_per_item(embedder):
    tiles = kp.datasets.make_pattern_patches(16, (32, 32), seed=6)["images"]
    grouper = kp.PatternGrouper(
        embedder=embedder,
        clusterer=kp.clustering.KMeans(4, metric="cosine", random_state=0),
        patch_size=32,
        flip_views=False,
        batch_size=64,
        progress=False,
    ).fit(list(tiles))

    def stream(count):  # made on the fly: the caller holds no catalogue
        for i in range(count):
            yield np.roll(tiles[i % 16], i % 7, axis=1)

    def peak(count):
        def run():
            result = grouper.group(stream(count))
            assert len(result) == count and not result.failures

        return traced_peak(run)

    peak(128)  # warm-up: traces the forward passes
    small, large = peak(2000), peak(6000)
    # 4,000 more products add their result rows (an embedding of 8 floats
    # and a few fields each), not their 3 KB patches.
    assert (large - small) / 4000 < 2_000, (small, large)
