"""`BackbonePreprocessing` against Keras' own `preprocess_input`."""

import keras
import numpy as np
import pytest

import keras_patterns as kp
from tests.helpers import run_layer_test

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch", "none"])
def test_preprocessing_matches_keras_applications(mode):
    x = RNG.random((2, 4, 4, 3)).astype("float32")
    ours = np.asarray(kp.layers.BackbonePreprocessing(mode)(x))
    if mode == "none":
        np.testing.assert_allclose(ours, x)
    else:
        expected = keras.applications.imagenet_utils.preprocess_input(
            x * 255.0, mode=mode
        )
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-4)


def test_scale255_and_shared_checks():
    x = RNG.random((2, 4, 4, 3)).astype("float32")
    layer = kp.layers.BackbonePreprocessing("scale255")
    np.testing.assert_allclose(np.asarray(layer(x)), x * 255.0, rtol=1e-6)
    run_layer_test(
        kp.layers.BackbonePreprocessing,
        {"mode": "caffe"},
        x,
        (2, 4, 4, 3),
        expected_num_trainable_weights=0,
        run_training_check=False,
        atol=1e-4,
    )


def test_unknown_mode_is_named():
    with pytest.raises(
        ValueError, match=r'"mode" must be one of .*Received: mode=.bgr'
    ):
        kp.layers.BackbonePreprocessing("bgr")
