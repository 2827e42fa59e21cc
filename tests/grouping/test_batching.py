"""The grouper's batched paths: same answers as one input at a time, flat memory."""

import keras
import numpy as np
import pytest

import keras_patterns as kp
from tests.helpers import traced_peak


@pytest.fixture(scope="module")
def parts():
    keras.utils.set_random_seed(0)
    embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=8)
    enhancer = kp.models.RRDBNet(num_blocks=1, filters=8, growth=4)
    large = kp.datasets.make_pattern_patches(9, (64, 64), seed=1)["images"]
    small = kp.datasets.make_pattern_patches(8, (24, 20), seed=2)["images"]
    tiny = kp.datasets.make_pattern_patches(4, (13, 17), seed=3)["images"]
    return embedder, enhancer, list(large) + list(small) + list(tiny)


def grouper(embedder, enhancer, batch_size, clusterer=None):
    return kp.PatternGrouper(
        enhancer=enhancer,
        embedder=embedder,
        clusterer=clusterer or kp.clustering.KMeans(3, random_state=0),
        enhance_below=48,
        batch_size=batch_size,
        progress=False,
    )


def test_batched_and_one_at_a_time_give_the_same_embeddings_and_groups(parts):
    embedder, enhancer, patches = parts
    fitted = grouper(embedder, enhancer, 32)
    reference = fitted.fit_group(patches)
    vectors = np.stack([item.embedding for item in reference.items])
    assert sum(item.enhanced for item in reference.items) == 12
    # Embeddings equal to 1e-5 give the same group unless a point is all but
    # equidistant from two centres: such near-ties may go either way.
    distances = np.sort(fitted.clusterer.transform(vectors), axis=1)
    decided = distances[:, 1] - distances[:, 0] > 1e-4
    assert decided.sum() >= 18
    # 21 inputs: batch 1 (one chunk each), 8 (a partial last chunk of 5), 32 (one).
    for batch_size in (1, 8):
        again = grouper(embedder, enhancer, batch_size, fitted.clusterer)
        result = again.group(patches)
        np.testing.assert_allclose(
            np.stack([item.embedding for item in result.items]), vectors, atol=1e-5
        )
        np.testing.assert_array_equal(
            result.assignments[decided], reference.assignments[decided]
        )
    # The embeddings are those of each input alone, through the plain stages.
    for index in (0, 9, 17):
        alone = grouper(embedder, enhancer, 1, fitted.clusterer).group([patches[index]])
        np.testing.assert_allclose(alone.items[0].embedding, vectors[index], atol=1e-5)


def test_memory_does_not_grow_with_the_chunks_processed(parts):
    embedder, _, patches = parts
    fitted = grouper(embedder, None, 4).fit(patches[:9])

    def peak(count):
        inputs = np.stack([patches[i % 9] for i in range(count)])  # the caller's
        return traced_peak(lambda: fitted.group(inputs))

    peak(8)  # warm-up: traces the forward passes
    # Each size's lower of two runs: what a backend allocates once (JAX's
    # caches on a first call of a size) is not growth with the chunks.
    small, large = min(peak(16), peak(16)), min(peak(160), peak(160))
    # 144 more inputs (36 more chunks of 4) add their result rows (an
    # embedding of 8 floats and a few fields each), not their images: one
    # 64x64 patch alone is 12 KB, a kept thumbnail 48 KB.
    assert (large - small) / 144 < 2_000, (small, large)


def test_two_flip_views_are_the_patch_and_its_left_right_mirror(parts):
    embedder, _, patches = parts
    result = kp.PatternGrouper(
        embedder=embedder,
        flip_views=2,
        clusterer=kp.clustering.KMeans(2, random_state=0),
        progress=False,
    ).fit_group(patches[:4])
    for item, patch in zip(result.items, patches[:4], strict=True):
        views = embedder.embed(np.stack([patch, patch[:, ::-1]]))
        mean = views.mean(axis=0)
        expected = mean / np.linalg.norm(mean) * np.linalg.norm(views, axis=1).mean()
        np.testing.assert_allclose(item.embedding, expected, atol=1e-5)
    with pytest.raises(ValueError, match="flip_views"):
        kp.PatternGrouper(flip_views=3)


def test_sheets_cut_the_patches_again_from_files_and_arrays(tmp_path, parts):
    from PIL import Image

    from keras_patterns.grouping.items import member_tiles

    embedder, _, patches = parts
    folder = tmp_path / "patches"
    folder.mkdir()
    for i, patch in enumerate(patches[:6]):
        Image.fromarray(patch).save(folder / f"{i}.png")

    def result(images, keep):
        return kp.PatternGrouper(
            embedder=embedder,
            clusterer=kp.clustering.KMeans(2, random_state=0),
            keep_patches=keep,
            progress=False,
        ).fit_group(images)

    for images in (folder, patches[:6]):
        kept, lean = result(images, True), result(images, False)
        for full, item in zip(kept.items, lean.items, strict=True):
            assert item.patches == [] and item.thumbnail is None
            patch, photo = member_tiles(item)
            np.testing.assert_array_equal(patch, full.patch)
            np.testing.assert_array_equal(photo, full.thumbnail)
        assert lean.contact_sheet(tmp_path / "sheet.png", per_group=3)


class DarkIsTop:
    """A segmenter double: dark pixels are a top (id 1), the rest background."""

    num_classes = 9

    def predict_labels(self, images, batch_size=8):
        return [
            (np.asarray(image).mean(axis=-1) < 128).astype(np.uint8) for image in images
        ]


def test_frame_scale_cuts_a_photo_alike_at_any_resolution(parts):
    # Stripes of period 6 rows on a dark garment, in a photo the size of the
    # frame and in the same photo at twice the resolution (each pixel 2x2).
    photo = np.full((96, 72, 3), 255, np.uint8)
    rows = np.arange(16, 80)
    photo[16:80, 12:60] = np.where((rows // 3 % 2)[:, None, None], 20, 90)
    double = photo.repeat(2, axis=0).repeat(2, axis=1)

    def item(image, frame_scale):
        grouper = kp.PatternGrouper(
            DarkIsTop(),
            embedder=parts[0],
            segment_size=(96, 72),
            frame_scale=frame_scale,
            patch_scale=1.0,
            patch_size=32,
            patches_per_item=1,
            keep_patches=True,
            progress=False,
        )
        return grouper.embed([image]).items[0]

    small, large = item(photo, True), item(double, True)
    # The same square, in the larger photo's pixels, and the same patch:
    # 32 px of the frame, cut from 64 px of the larger photo.
    assert large.box == tuple(2 * v for v in small.box)
    assert small.patch.shape == large.patch.shape == (32, 32, 3)
    close = np.abs(small.patch.astype(float) - large.patch).mean()
    # In the photos' own pixels the larger photo's stripes come out twice
    # as wide: the patches differ by about half the stripes' contrast (70).
    own = item(double, False).patch
    assert own.shape == (32, 32, 3)
    apart = np.abs(small.patch.astype(float) - own).mean()
    assert close < 6 < 20 < apart, (close, apart)
    with pytest.raises(ValueError, match="segment_size"):
        kp.PatternGrouper(DarkIsTop(), frame_scale=True)
    with pytest.raises(ValueError, match="frame_scale must be True or False"):
        kp.PatternGrouper(DarkIsTop(), segment_size=(96, 72), frame_scale="no")


def test_large_photos_are_segmented_and_cut_small_and_patched_from_full_size(parts):
    embedder = parts[0]
    photo = np.full((400, 300, 3), 255, np.uint8)
    rows = np.arange(60, 340)
    photo[60:340, 40:260] = np.where((rows // 6 % 2)[:, None, None], 20, 90)

    def item(segment_size):
        grouper = kp.PatternGrouper(
            DarkIsTop(),
            embedder=embedder,
            segment_size=segment_size,
            keep_patches=True,
            patches_per_item=1,
            progress=False,
        )
        working, factor = grouper.pipeline.segment.working_photo(photo)
        assert (working.shape, factor) == (
            ((400, 300, 3), 1.0) if segment_size is None else ((100, 75, 3), 4.0)
        )
        return grouper.embed([photo]).items[0]

    full = item(None)  # labels and cut at 400x300
    small = item((50, 38))  # at twice that: 100x75, a quarter of the photo's side
    top, left, bottom, right = small.box
    assert top >= 56 and bottom <= 344 and left >= 36 and right <= 264  # +-1 label
    assert bottom - top >= 0.9 * (full.box[2] - full.box[0])
    expected = kp.utils.images.resize_image(
        kp.utils.images.centre_square(photo[top:bottom, left:right]), (64, 64)
    )
    np.testing.assert_array_equal(small.patch, expected)  # cut from the full photo
