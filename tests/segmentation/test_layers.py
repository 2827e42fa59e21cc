import keras
import numpy as np
import pytest

import keras_patterns as kp
from tests.helpers import run_layer_test

RNG = np.random.default_rng(0)


def test_pad_and_crop_round_trip():
    x = RNG.normal(size=(1, 10, 13, 2)).astype("float32")
    padded = np.asarray(kp.layers.PadToMultiple(8)(x))
    assert padded.shape == (1, 16, 16, 2)
    np.testing.assert_array_equal(padded[:, :10, :13], x)
    assert np.all(padded[:, 10:] == 0) and np.all(padded[:, :, 13:] == 0)
    cropped = np.asarray(kp.layers.CropToReference()(padded, x))
    np.testing.assert_array_equal(cropped, x)
    run_layer_test(
        kp.layers.PadToMultiple,
        {"multiple": 4},
        x,
        (1, 12, 16, 2),
        run_training_check=False,
    )


def test_dynamic_shapes_in_tensorflow_graphs():
    """Traced with unknown H and W, as `predict` does after a few sizes."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("tf.function tracing with unknown shapes is TensorFlow-only")
    import tensorflow as tf

    inputs = keras.Input((None, None, 3))
    x = kp.layers.PadToMultiple(8)(inputs)
    x = kp.layers.AtrousSpatialPyramidPooling(8, rates=(2,))(x)
    x = kp.layers.BilinearUpsampling(2)(x)
    x = kp.layers.CropToReference()(x, inputs)
    model = keras.Model(inputs, x)
    traced = tf.function(model, input_signature=[tf.TensorSpec((None, None, None, 3))])
    for shape in [(1, 9, 11, 3), (2, 16, 5, 3)]:
        assert tuple(traced(np.zeros(shape, "float32")).shape) == shape[:3] + (8,)


def test_aspp_shared_checks():
    x = RNG.normal(size=(2, 6, 5, 8)).astype("float32")
    layer = run_layer_test(
        kp.layers.AtrousSpatialPyramidPooling,
        {"filters": 4, "rates": (1, 2), "dropout": 0.0},
        x,
        (2, 6, 5, 4),
        expected_num_trainable_weights=5 + 5 * 2,  # 5 conv kernels, 5 BN gamma/beta
    )
    assert layer.rates == (1, 2)


def test_aspp_image_pooling_branch_sees_the_whole_image():
    """Changing one far-away pixel changes the corner output through the pooling.

    With random weights a ReLU may silence a few pooling channels; 32 filters
    and a fixed seed make "every pooling channel is dead" impossible here.
    """
    keras.utils.set_random_seed(3)
    layer = kp.layers.AtrousSpatialPyramidPooling(32, rates=(1,), dropout=0.0)
    x = RNG.normal(size=(1, 20, 20, 3)).astype("float32")
    y = RNG.normal(size=(1, 20, 20, 3)).astype("float32")
    x2, y2 = x.copy(), y.copy()
    x2[0, 19, 19] += 5.0
    y2[0, 19, 19] += 5.0
    batch = np.concatenate([x, y])
    before = keras.ops.convert_to_numpy(layer(batch, training=False))
    after = keras.ops.convert_to_numpy(layer(np.concatenate([x2, y2]), training=False))
    assert np.all(np.abs(after[:, 0, 0] - before[:, 0, 0]).sum(-1) > 0)


@pytest.mark.parametrize(
    "kwargs", [{"filters": 0}, {"rates": (6, -1)}, {"rates": ()}, {"dropout": 1.0}]
)
def test_aspp_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=list(kwargs)[0]):
        kp.layers.AtrousSpatialPyramidPooling(**kwargs)


@pytest.mark.parametrize(
    "shape", [(1, 8, 6, 3), (2, 3, 30, 2), (1, 25, 4, 3), (1, 40, 40, 1)]
)
@pytest.mark.parametrize("rate", [1, 4, 6, 12, 18])
def test_atrous_conv_skips_only_padding_taps(shape, rate):
    from keras_patterns.segmentation.aspp import atrous_conv

    x = RNG.normal(size=shape).astype("float32")
    kernel = RNG.normal(size=(3, 3, shape[-1], 5)).astype("float32")
    full = keras.ops.conv(x, kernel, padding="same", dilation_rate=rate)
    np.testing.assert_allclose(
        np.asarray(atrous_conv(x, kernel, rate)), np.asarray(full), rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("value", [0, -2, 1.5, True, "2"])
@pytest.mark.parametrize(
    "make, name",
    [
        (kp.segmentation.deeplab_v3_plus_layers.PadToMultiple, "multiple"),
        (kp.layers.PixelUnshuffle, "scale"),
    ],
)
def test_integer_arguments_are_checked(make, name, value):
    with pytest.raises(ValueError, match=f'"{name}" must be an int >= 1'):
        make(value)
    assert make(np.int64(3)).get_config()[name] == 3  # NumPy ints are fine
