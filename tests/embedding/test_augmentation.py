"""`pattern_augmentation`: shapes, ranges, seeds, and what it keeps."""

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.embedding.augmentation import pattern_augmentation_layers

RNG = np.random.default_rng(0)


def _tf():
    import tensorflow as tf

    return tf


def _augmented(augment, images, batch=4):
    """Maps `augment` over batches in order, as `tf.data` does on any backend."""
    tf = _tf()
    data = tf.data.Dataset.from_tensor_slices((images, np.arange(len(images))))
    return np.concatenate([x.numpy() for x, _ in data.batch(batch).map(augment)])


def test_shapes_ranges_and_label_passthrough():
    tf = _tf()
    augment = kp.embedding.pattern_augmentation((24, 20), seed=0)
    image = tf.constant(RNG.random((40, 50, 3)), tf.float32)
    for _ in range(5):
        out, label = augment(image, tf.constant(3))  # one image at a time
        assert tuple(out.shape) == (24, 20, 3) and int(label) == 3
        assert float(tf.reduce_min(out)) >= 0.0 and float(tf.reduce_max(out)) <= 1.0
    batch, labels = augment(
        tf.constant(RNG.integers(0, 256, (6, 40, 50, 3), "uint8")), 0
    )
    assert tuple(batch.shape) == (6, 24, 20, 3) and batch.dtype == tf.float32


def test_every_layer_keeps_values_in_range():
    images = RNG.random((32, 40, 40, 3)).astype("float32")
    pipeline = pattern_augmentation_layers((32, 32), rotate=True, seed=1)
    out = keras.ops.convert_to_numpy(pipeline(images))  # no final clip here
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_same_seed_same_batches_in_tf_data():
    images = RNG.integers(0, 256, (8, 40, 40, 3), "uint8")
    first = _augmented(kp.embedding.pattern_augmentation((24, 24), seed=7), images)
    again = _augmented(kp.embedding.pattern_augmentation((24, 24), seed=7), images)
    other = _augmented(kp.embedding.pattern_augmentation((24, 24), seed=8), images)
    assert first.shape == (8, 24, 24, 3)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).mean() > 0.01


def test_flips_are_drawn_independently():
    # "horizontal_and_vertical" in one RandomFlip would flip both or neither.
    flips = [
        layer
        for layer in pattern_augmentation_layers((8, 8), seed=3).layers
        if isinstance(layer, keras.layers.RandomFlip)
    ]
    image = RNG.random((8, 8, 1)).astype("float32")
    out = np.repeat(image[None], 400, axis=0)
    for layer in flips:
        out = keras.ops.convert_to_numpy(layer(out))
    outcomes = [image, image[:, ::-1], image[::-1], image[::-1, ::-1]]
    kinds = [[np.array_equal(o, e) for e in outcomes].index(True) for o in out]
    counts = np.bincount(kinds, minlength=4)
    # Each of the four with probability 1/4: within 5 binomial deviations.
    assert np.all(np.abs(counts - 100) <= 5 * np.sqrt(400 * 0.25 * 0.75)), counts


def test_colour_jitter_changes_colour_unless_kept():
    red = np.tile(np.array([0.9, 0.1, 0.1], "float32"), (32, 32, 32, 1))
    jittered = _augmented(kp.embedding.pattern_augmentation((16, 16), seed=0), red, 32)
    kept = _augmented(
        kp.embedding.pattern_augmentation((16, 16), keep_color=True, seed=0), red, 32
    )
    assert len(set(jittered.mean((1, 2)).argmax(-1).tolist())) > 1
    assert (kept.mean((1, 2)).argmax(-1) == 0).all()


def test_orientation_is_kept_without_rotation():
    stripes = np.zeros((10, 48, 48, 3), np.float32)
    stripes[:, ::6] = 1.0  # horizontal lines
    augment = kp.embedding.pattern_augmentation((32, 32), keep_color=True, seed=2)
    out = _augmented(augment, stripes, 10).mean(-1)
    # Every image still varies down its columns, not along its rows.
    assert (out.std(axis=1).mean(1) > out.std(axis=2).mean(1)).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"size": (32, 24), "rotate": True}, '"rotate" needs a square "size"'),
        ({"min_crop": 0.05}, '"min_crop" must lie in'),
        ({"seed": 1.5}, '"seed" must be an int'),
        ({"size": (4, 4)}, '"size" must be'),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kp.embedding.pattern_augmentation(**kwargs)


@pytest.mark.parametrize("side, min_crop", [(40, 0.55), (57, 0.7), (24, 0.9)])
def test_crops_never_show_the_fill(side, min_crop):
    # The zoom fills with black outside the image; a crop that stays
    # inside leaves an image of ones all ones (up to resampling).
    geometric = (
        keras.layers.RandomZoom,
        keras.layers.Resizing,
        keras.layers.RandomFlip,
    )
    pipeline = pattern_augmentation_layers((24, 24), min_crop=min_crop, seed=4)
    ones = np.ones((64, side, side, 3), "float32")
    for layer in pipeline.layers:
        if isinstance(layer, geometric):
            ones = layer(ones)
    out = keras.ops.convert_to_numpy(ones)
    assert out.shape == (64, 24, 24, 3)
    np.testing.assert_allclose(out, 1.0, atol=1e-5)
