"""label_maps: segmenter outputs brought back to each photo's size."""

import numpy as np
import pytest

from keras_patterns.utils.images import label_maps

pytestmark = pytest.mark.backend_independent


class Stripes:
    """Logits whose argmax is the column index modulo 3; counts its calls."""

    def __init__(self):
        self.batches = []

    def predict_logits(self, images, batch_size=8):
        self.batches.append(len(images))
        out = []
        for image in images:
            h, w = np.shape(image)[:2]
            out.append(np.eye(3, dtype=np.float32)[np.arange(w) % 3][None].repeat(h, 0))
        return out

    def predict_labels(self, images, batch_size=8):
        return [np.argmax(x, -1).astype(np.uint8) for x in self.predict_logits(images)]


def test_label_maps_resizes_down_and_back_with_nearest():
    segmenter = Stripes()
    photos = [np.zeros((8, 12, 3), np.uint8), np.zeros((4, 6, 3), np.uint8)]
    maps = label_maps(segmenter, photos, size=(4, 6))
    # At 4x6 the columns read 0 1 2 0 1 2; nearest resizing doubles them for
    # the 8x12 photo and leaves the 4x6 one as it is.
    np.testing.assert_array_equal(maps[0][0], np.repeat([0, 1, 2, 0, 1, 2], 2))
    np.testing.assert_array_equal(maps[1], np.tile([0, 1, 2, 0, 1, 2], (4, 1)))
    assert label_maps(segmenter, [], size=(4, 6)) == []


def test_label_maps_decide_gets_each_photos_index_and_logits():
    segmenter = Stripes()
    photos = [np.zeros((2, 3, 3), np.uint8) for _ in range(5)]
    seen = []

    def decide(i, logits):
        seen.append((i, logits.shape))
        return np.full(logits.shape[:2], i, np.uint8)

    maps = label_maps(segmenter, photos, batch_size=2, decide=decide)
    assert segmenter.batches == [2, 2, 1]
    assert seen == [(i, (2, 3, 3)) for i in range(5)]
    for i, labels in enumerate(maps):
        np.testing.assert_array_equal(labels, np.full((2, 3), i))
