import keras
import numpy as np
import pytest

import keras_patterns as kp

RNG = np.random.default_rng(0)


def numpy_reference(y_true, logits, weights=None, ignore=255):
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    valid = y_true != ignore
    labels = np.where(valid, y_true, 0)
    nll = -np.take_along_axis(logp, labels[..., None], -1)[..., 0]
    w = valid.astype(float) * (1.0 if weights is None else np.asarray(weights)[labels])
    return (nll * w).sum() / max(w.sum(), 1e-12)


@pytest.mark.parametrize("weights", [None, [1.0, 2.0, 0.5, 4.0]])
def test_matches_numpy(weights):
    y_true = RNG.integers(0, 4, (3, 5, 6))
    y_true[RNG.random((3, 5, 6)) < 0.3] = 255
    logits = RNG.normal(size=(3, 5, 6, 4)).astype("float32")
    loss = kp.losses.MaskedSparseCategoricalCrossentropy(class_weights=weights)
    np.testing.assert_allclose(
        float(loss(y_true, logits)), numpy_reference(y_true, logits, weights), rtol=1e-5
    )


def test_equals_keras_ignore_class_without_weights():
    y_true = RNG.integers(0, 3, (2, 4, 4))
    y_true[0, 0] = 255
    logits = RNG.normal(size=(2, 4, 4, 3)).astype("float32")
    ours = kp.losses.MaskedSparseCategoricalCrossentropy()(y_true, logits)
    keras_loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=255
    )
    per_pixel = np.asarray(
        keras.losses.sparse_categorical_crossentropy(
            np.where(y_true == 255, 0, y_true), logits, from_logits=True
        )
    )
    np.testing.assert_allclose(float(ours), per_pixel[y_true != 255].mean(), rtol=1e-5)
    assert np.isfinite(float(keras_loss(y_true, logits)))


def test_hand_computed_and_all_ignored():
    loss = kp.losses.MaskedSparseCategoricalCrossentropy()
    logits = np.array([[[[0.0, 0.0], [2.0, 0.0]]]], "float32")
    y_true = np.array([[[1, 0]]])
    expected = (np.log(2.0) + np.log(1.0 + np.exp(-2.0))) / 2
    np.testing.assert_allclose(float(loss(y_true, logits)), expected, rtol=1e-6)
    assert float(loss(np.full((1, 1, 2), 255), logits)) == 0.0
    probs = kp.losses.MaskedSparseCategoricalCrossentropy(from_logits=False)
    np.testing.assert_allclose(
        float(probs(np.array([[[0]]]), np.array([[[[0.25, 0.75]]]], "float32"))),
        np.log(4.0),
        rtol=1e-6,
    )


def test_trailing_label_axis_and_config():
    loss = kp.losses.MaskedSparseCategoricalCrossentropy(class_weights=[1, 3])
    logits = RNG.normal(size=(2, 3, 3, 2)).astype("float32")
    y = RNG.integers(0, 2, (2, 3, 3))
    np.testing.assert_allclose(
        float(loss(y[..., None], logits)), float(loss(y, logits))
    )
    clone = kp.losses.MaskedSparseCategoricalCrossentropy.from_config(loss.get_config())
    assert clone.class_weights == [1.0, 3.0]
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss)
    )
    np.testing.assert_allclose(float(restored(y, logits)), float(loss(y, logits)))
    with pytest.raises(ValueError, match="class_weights"):
        kp.losses.MaskedSparseCategoricalCrossentropy(class_weights=[1, -1])
