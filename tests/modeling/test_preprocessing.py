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


def test_affine_mode_and_image_converter_numbers():
    """`"affine"` is `x * scale + offset` on [0, 1]; a converter's numbers
    are for 0-255 pixels, so its layer scales by 255 more."""
    from keras_patterns.modeling.preprocessing import preprocessing_layer
    from keras_patterns.modeling.preprocessing import preprocessing_spec

    x = RNG.random((2, 3, 5, 3)).astype("float32")
    scale, offset = [0.5, 2.0, -1.0], [0.1, 0.0, 3.0]
    layer = kp.layers.BackbonePreprocessing("affine", scale=scale, offset=offset)
    np.testing.assert_allclose(
        np.asarray(layer(x)), x * np.array(scale) + np.array(offset), rtol=1e-6
    )
    run_layer_test(
        kp.layers.BackbonePreprocessing,
        {"mode": "affine", "scale": 2.0, "offset": -1.0},
        x,
        (2, 3, 5, 3),
        expected_num_trainable_weights=0,
        run_training_check=False,
    )
    # Inception's converter, 0-255 to [-1, 1], is the "tf" mode.
    spec = preprocessing_spec({"scale": 1 / 127.5, "offset": -1.0})
    assert spec == {"scale": pytest.approx(1 / 127.5), "offset": -1.0}
    np.testing.assert_allclose(
        np.asarray(preprocessing_layer(spec)(x)),
        np.asarray(kp.layers.BackbonePreprocessing("tf")(x)),
        atol=1e-6,
    )
    assert preprocessing_spec("caffe") == "caffe"
    assert preprocessing_spec(None) is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"mode": "tf", "scale": 2.0}, "affine"),
        ({"mode": "affine", "scale": [1.0, float("nan")]}, "scale"),
        ({"mode": "affine", "offset": "dark"}, "offset"),
    ],
)
def test_bad_affine_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kp.layers.BackbonePreprocessing(**kwargs)


def test_bad_preprocessing_specs_are_named():
    from keras_patterns.modeling.preprocessing import preprocessing_spec

    for bad in ("affine", {"mean": 0.5}, {}, 3.0):
        with pytest.raises(ValueError, match="preprocessing"):
            preprocessing_spec(bad)
