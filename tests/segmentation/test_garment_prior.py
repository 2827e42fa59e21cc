import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.segmentation import garment_label_maps
from keras_patterns.segmentation import garment_labels

NAMES = ("background", "top", "dress", "skin")
GARMENTS = ("top", "dress")


def test_garment_labels_hand_computed():
    logits = np.array(
        [
            [
                [0.0, 1.0, 3.0, 0.0],  # dress wins anyway -> dress
                [0.0, 3.0, 2.0, 0.0],  # top by 1.0 < 1.5 -> dress
                [0.0, 3.5, 2.0, 0.0],  # top by exactly 1.5 -> dress
                [0.0, 4.0, 2.0, 0.0],  # top by 2.0 > 1.5 -> top
                [3.0, 0.0, 2.5, 0.0],  # background wins: not a garment pixel
                [0.0, 0.0, 2.9, 3.0],  # skin wins: kept
            ]
        ]
    )
    labels = garment_labels(logits, "dress", 1.5, GARMENTS, NAMES)
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, [[2, 2, 2, 1, 0, 3]])
    # No prior is the plain argmax. For a top, the first pixel's dress wins
    # by 2 (more than the prior) and stays a dress.
    np.testing.assert_array_equal(
        garment_labels(logits, "dress", 0.0, GARMENTS, NAMES), [[2, 1, 1, 1, 0, 3]]
    )
    np.testing.assert_array_equal(
        garment_labels(logits, "top", 1.5, GARMENTS, NAMES), [[2, 1, 1, 1, 0, 3]]
    )
    np.testing.assert_array_equal(
        garment_labels(logits, "top", 2.0, GARMENTS, NAMES), [[1, 1, 1, 1, 0, 3]]
    )


def test_garment_labels_matches_a_per_pixel_rule_and_grows_with_the_prior():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(20, 15, 9)) * 2
    names, garments = kp.datasets.NINE_CLASSES, ("top", "dress", "outer", "pants")
    target = names.index("outer")
    ids = [names.index(g) for g in garments]
    previous = None
    for prior in (0.0, 0.5, 1.0, 2.0, 4.0):
        labels = garment_labels(logits, "outer", prior, garments, names)
        expected = np.empty((20, 15), np.uint8)
        for (i, j), _ in np.ndenumerate(expected):
            best = int(np.argmax(logits[i, j]))
            near = logits[i, j, target] + prior >= logits[i, j, best]
            expected[i, j] = target if best in ids and near else best
        np.testing.assert_array_equal(labels, expected)
        # Background and non-garment labels never change.
        plain = logits.argmax(-1)
        np.testing.assert_array_equal(
            labels[~np.isin(plain, ids)], plain[~np.isin(plain, ids)]
        )
        if previous is not None:
            assert ((labels == target) >= (previous == target)).all()
        previous = labels
    assert (previous == target).sum() > (logits.argmax(-1) == target).sum()


def test_garment_labels_checks_its_arguments():
    logits = np.zeros((2, 2, 4))
    with pytest.raises(ValueError, match="logits"):
        garment_labels(np.zeros((2, 2, 3)), "top", 1.0, GARMENTS, NAMES)
    with pytest.raises(ValueError, match="prior"):
        garment_labels(logits, "top", -1.0, GARMENTS, NAMES)
    with pytest.raises(ValueError, match='"garment".*skirt'):
        garment_labels(logits, "skirt", 1.0, GARMENTS, NAMES)
    with pytest.raises(ValueError, match="garment_classes"):
        garment_labels(logits, "top", 1.0, ("top", "coat"), NAMES)


class LogitSegmenter:
    """Fixed logits (resized to the input by repetition): top 1 above dress."""

    def __init__(self):
        self.sizes = []

    def predict_logits(self, images, batch_size=8):
        self.sizes.append([np.shape(image)[:2] for image in images])
        out = []
        for image in images:
            logits = np.zeros((*np.shape(image)[:2], 9), np.float32)
            logits[..., 0] = 2.0  # background everywhere ...
            logits[2:-2, 2:-2, 0] = 0.0  # ... but a garment in the middle,
            logits[2:-2, 2:-2, 1] = 3.0  # where "top" beats
            logits[2:-2, 2:-2, 3] = 2.0  # "dress" by 1
            out.append(logits)
        return out

    def predict_labels(self, images, batch_size=8):
        return [np.argmax(x, -1).astype(np.uint8) for x in self.predict_logits(images)]


def test_garment_label_maps_resizes_and_uses_each_photos_garment():
    segmenter = LogitSegmenter()
    photos = [np.zeros((16, 12, 3), np.uint8) for _ in range(3)]
    maps = garment_label_maps(
        segmenter, photos, ["dress", None, "top"], prior=1.5, size=(8, 6)
    )
    assert segmenter.sizes == [[(8, 6)] * 3]
    assert [m.shape for m in maps] == [(16, 12)] * 3
    dress, top = kp.datasets.NINE_CLASSES.index("dress"), 1
    # The 8x6 map's centre 4x2 block, doubled by nearest resizing.
    centre = np.zeros((16, 12), bool)
    centre[4:12, 4:8] = True
    np.testing.assert_array_equal(maps[0], np.where(centre, dress, 0))
    np.testing.assert_array_equal(maps[1], np.where(centre, top, 0))
    np.testing.assert_array_equal(maps[2], np.where(centre, top, 0))
    # A prior of 0.5 is too small to overturn a margin of 1.
    small = garment_label_maps(segmenter, photos[:1], ["dress"], prior=0.5)
    np.testing.assert_array_equal(small[0] == top, np.pad(np.ones((12, 8)), 2) == 1)
    with pytest.raises(ValueError, match="garments"):
        garment_label_maps(segmenter, photos, ["dress"])
    # Names are checked before any photo is segmented.
    with pytest.raises(ValueError, match=r"\"garments\" must be a name.*'skirt'"):
        garment_label_maps(segmenter, photos, ["dress", None, "skirt"])
    assert len(segmenter.sizes) == 2


def test_the_prior_applies_only_where_the_named_garment_was_missed():
    # The LogitSegmenter gives "top" the centre (8 of the 48 pixels at 8x6)
    # and "dress" none: named "dress", the prior applies under any positive
    # share; named "top" (1/6 of the pixels), it applies under 0.2, not 0.1.
    segmenter = LogitSegmenter()
    photo = [np.zeros((8, 6, 3), np.uint8)]
    dress = kp.datasets.NINE_CLASSES.index("dress")
    plain = garment_label_maps(segmenter, photo, ["dress"], prior=0.0)[0]
    always = garment_label_maps(segmenter, photo, ["dress"], prior=1.5)[0]
    assert (always == dress).sum() == 8 and not (plain == dress).any()
    for below, expected in ((0.001, always), (1.0, always), (0.0, plain)):
        found = garment_label_maps(segmenter, photo, ["dress"], 1.5, below=below)
        np.testing.assert_array_equal(found[0], expected)

    class HalfAndHalf:  # "top" wins the left half by 1, "dress" the right
        def predict_logits(self, images, batch_size=8):
            logits = np.zeros((len(images), 8, 6, 9), np.float32)
            logits[:, :, :3, 1], logits[:, :, :3, 3] = 3.0, 2.0
            logits[:, :, 3:, 1], logits[:, :, 3:, 3] = 2.0, 3.0
            return logits

    # Where the named garment holds half the pixels, it keeps its own outline
    # unless `below` is above a half.
    for below, dress_pixels in ((0.5, 24), (0.6, 48), (None, 48)):
        found = garment_label_maps(HalfAndHalf(), photo, ["dress"], 1.5, below=below)
        assert (found[0] == dress).sum() == dress_pixels, below
    with pytest.raises(ValueError, match='"below" must be a share'):
        garment_label_maps(segmenter, photo, ["dress"], 1.5, below=1.5)


def test_garment_label_maps_without_logits_gives_plain_labels():
    class LabelsOnly:
        def predict_labels(self, images, batch_size=8):
            return [np.ones(np.shape(image)[:2], np.uint8) for image in images]

    photos = [np.zeros((5, 4, 3), np.uint8)]
    maps = garment_label_maps(LabelsOnly(), photos, ["dress"], prior=3.0)
    np.testing.assert_array_equal(maps[0], np.ones((5, 4)))
