import numpy as np

import keras_patterns as kp


def test_shapes_ranges_and_label_passthrough():
    import tensorflow as tf

    augment = kp.embedding.pattern_augmentation((24, 20))
    image = tf.constant(np.random.default_rng(0).random((40, 50, 3)), tf.float32)
    for _ in range(20):
        out, label = augment(image, tf.constant(3))
        assert tuple(out.shape) == (24, 20, 3) and int(label) == 3
        assert float(tf.reduce_min(out)) >= 0.0 and float(tf.reduce_max(out)) <= 1.0


def test_colour_jitter_changes_colour_unless_kept():
    import tensorflow as tf

    tf.random.set_seed(0)
    red = tf.constant(np.tile([0.9, 0.1, 0.1], (32, 32, 1)), tf.float32)
    jittered = kp.embedding.pattern_augmentation((16, 16))
    kept = kp.embedding.pattern_augmentation((16, 16), keep_color=True)
    hues = [np.asarray(jittered(red, 0)[0]).mean((0, 1)).argmax() for _ in range(30)]
    assert len(set(hues)) > 1
    for _ in range(10):
        mean = np.asarray(kept(red, 0)[0]).mean((0, 1))
        assert mean.argmax() == 0


def test_orientation_is_kept_without_rotation():
    import tensorflow as tf

    stripes = np.zeros((48, 48, 3), np.float32)
    stripes[::6] = 1.0  # horizontal lines
    augment = kp.embedding.pattern_augmentation((32, 32), keep_color=True)
    for _ in range(10):
        out = np.asarray(augment(tf.constant(stripes), 0)[0]).mean(-1)
        assert (
            out.std(axis=0).mean() > out.std(axis=1).mean()
        )  # varies down, not across
