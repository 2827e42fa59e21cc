import keras
import numpy as np
import pytest

import keras_patterns as kp
from tests.helpers import gradient
from tests.helpers import run_layer_test


def test_shared_checks():
    x = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")
    run_layer_test(
        kp.layers.L2Normalize,
        {"axis": -1},
        x,
        (3, 8),
        expected_num_trainable_weights=0,
        run_training_check=False,
    )


def test_values_against_numpy():
    x = np.random.default_rng(1).normal(size=(5, 7)).astype("float32")
    out = np.asarray(kp.layers.L2Normalize()(x))
    np.testing.assert_allclose(
        out, x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-5
    )
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)


def test_other_axis_and_zero_vector():
    x = np.zeros((2, 3, 4), "float32")
    x[0, :, 1] = [3.0, 0.0, 4.0]
    out = np.asarray(kp.layers.L2Normalize(axis=1)(x))
    np.testing.assert_allclose(out[0, :, 1], [0.6, 0.0, 0.8], rtol=1e-6)
    assert np.all(np.isfinite(out)) and np.all(out[1] == 0.0)


def test_gradient_finite_at_zero():
    layer = kp.layers.L2Normalize()
    grad = gradient(lambda v: keras.ops.sum(layer(v)), np.zeros((1, 4), "float32"))
    assert np.all(np.isfinite(grad))


def test_float16_input_keeps_dtype():
    layer = kp.layers.L2Normalize(dtype="float16")
    out = layer(np.array([[300.0, 400.0]], "float16"))
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    np.testing.assert_allclose(np.asarray(out, "float32"), [[0.6, 0.8]], atol=1e-3)


@pytest.mark.parametrize("kwargs", [{"axis": "last"}, {"epsilon": 0.0}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=list(kwargs)[0]):
        kp.layers.L2Normalize(**kwargs)
