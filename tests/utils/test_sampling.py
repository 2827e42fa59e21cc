"""`pk_dataset`: P labels x K examples per batch, decoded and resized."""

import numpy as np
import pytest

from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.sampling import pk_dataset

pytestmark = pytest.mark.backend_independent


def test_batches_hold_p_labels_with_k_examples_each():
    images = np.arange(12, dtype=np.uint8).reshape(12, 1, 1, 1).repeat(3, -1)
    images = np.broadcast_to(images, (12, 8, 8, 3)).copy()
    labels = np.repeat(["a", "b", "c", "d"], 3)
    batches = list(pk_dataset(images, labels, p=2, k=3, repeat=False, seed=1))
    assert len(batches) == 2
    for batch_images, batch_labels in batches:
        counts = np.bincount(batch_labels.numpy(), minlength=4)
        assert sorted(counts) == [0, 0, 3, 3]
        # Each image is its own index / 255, so it names the label it came with.
        index = np.round(batch_images.numpy()[:, 0, 0, 0] * 255).astype(int)
        np.testing.assert_array_equal(index // 3, batch_labels.numpy())


def test_decode_and_resize():
    entries = np.array([b"1", b"1", b"2", b"2"])

    def decode(entry):
        value = tf.strings.to_number(entry) / 4.0
        return tf.fill((4, 6, 3), value)

    images, labels = next(
        iter(pk_dataset(entries, [0, 0, 1, 1], 2, 2, decode=decode, image_size=(8, 12)))
    )
    assert tuple(images.shape) == (4, 8, 12, 3)
    np.testing.assert_allclose(
        images.numpy()[:, 0, 0, 0], (labels.numpy() + 1) / 4.0, atol=1e-6
    )


def test_bad_image_size_is_named():
    with pytest.raises(ValueError, match='"image_size"'):
        pk_dataset(np.zeros((4, 8, 8, 3), np.uint8), [0, 0, 1, 1], 2, 2, image_size=4)
