import keras
import numpy as np
import pytest

import keras_patterns as kp
from tests.helpers import bicubic_brute_force
from tests.helpers import run_layer_test
from tests.helpers import run_model_test

RNG = np.random.default_rng(0)
SMALL = {"num_blocks": 1, "filters": 8, "growth": 4}


def test_residual_dense_block_shared_checks():
    x = RNG.normal(size=(2, 5, 6, 8)).astype("float32")
    run_layer_test(
        kp.layers.ResidualDenseBlock,
        {"filters": 8, "growth": 4},
        x,
        (2, 5, 6, 8),
        expected_num_trainable_weights=10,
    )


def test_rrdb_shared_checks():
    x = RNG.normal(size=(2, 4, 4, 6)).astype("float32")
    run_layer_test(
        kp.layers.RRDB,
        {"filters": 6, "growth": 3, "residual_scale": 0.5},
        x,
        (2, 4, 4, 6),
        expected_num_trainable_weights=30,
    )


def test_dense_block_against_a_manual_computation():
    block = kp.layers.ResidualDenseBlock(filters=4, growth=2)
    x = RNG.normal(size=(1, 3, 3, 4)).astype("float32")
    out = keras.ops.convert_to_numpy(block(x))
    features = [x]
    for conv in block.convs[:4]:
        y = keras.ops.convert_to_numpy(conv(np.concatenate(features, -1)))
        features.append(np.where(y > 0, y, 0.2 * y))
    expected = x + 0.2 * keras.ops.convert_to_numpy(
        block.convs[4](np.concatenate(features, -1))
    )
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_dense_block_initialisation_is_scaled_by_a_tenth():
    block = kp.layers.ResidualDenseBlock(filters=64, growth=32)
    block.build((None, 8, 8, 64))
    kernel = np.asarray(block.convs[4].kernel)  # fan-in 3 * 3 * (64 + 4 * 32)
    expected = 0.1 * np.sqrt(2.0 / (9 * 192))
    assert abs(kernel.std() / expected - 1.0) < 0.05
    assert np.all(np.asarray(block.convs[0].bias) == 0)


def test_pixel_unshuffle_layout():
    x = np.arange(2 * 4 * 6 * 3, dtype="float32").reshape(2, 4, 6, 3)
    out = np.asarray(kp.layers.PixelUnshuffle(2)(x))
    assert out.shape == (2, 2, 3, 12)
    for i in range(2):
        for j in range(2):
            np.testing.assert_array_equal(
                out[..., (i * 2 + j) * 3 : (i * 2 + j + 1) * 3], x[:, i::2, j::2]
            )


def test_default_parameter_count_is_the_official_one():
    assert kp.models.RRDBNet().count_params() == 16_697_987


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_scales(scale):
    model = kp.models.RRDBNet(scale=scale, **SMALL)
    assert model(np.zeros((2, 8, 12, 3), "float32")).shape == (
        2,
        8 * scale,
        12 * scale,
        3,
    )
    assert model.input_multiple == 4 // scale


def test_shared_checks_generator():
    model = kp.models.RRDBNet(scale=2, **SMALL)
    x = RNG.random((2, 6, 8, 3)).astype("float32")
    run_model_test(model, x, (2, 12, 16, 3), loss="mae")


def test_grey_to_rgb_channels():
    model = kp.models.RRDBNet(in_channels=1, out_channels=3, **SMALL)
    assert model(np.zeros((1, 4, 4, 1), "float32")).shape == (1, 16, 16, 3)


@pytest.mark.parametrize("scale", [4, 1])
def test_receptive_radius_bounds_the_influence_of_a_pixel(scale):
    model = kp.models.RRDBNet(scale=scale, num_blocks=1, filters=8, growth=4)
    for weight in model.weights:  # strong weights: every path propagates
        weight.assign(np.random.default_rng(0).normal(0, 0.3, weight.shape))
    size = 4 * model.receptive_radius
    centre = size // 2
    x = np.zeros((1, size, size, 3), "float32")
    y = x.copy()
    y[0, centre, centre] = 1.0
    changed = (
        np.abs(
            keras.ops.convert_to_numpy(model(y)) - keras.ops.convert_to_numpy(model(x))
        ).max(-1)[0]
        > 0
    )
    rows = np.nonzero(changed.any(1))[0] // scale
    reach = max(centre - rows.min(), rows.max() - centre)
    assert reach <= model.receptive_radius
    assert reach >= model.receptive_radius - 2 * model.input_multiple


@pytest.mark.parametrize("kwargs", [{"scale": 3}, {"num_blocks": 0}, {"filters": -1}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=list(kwargs)[0]):
        kp.models.RRDBNet(**kwargs)


def test_channel_mismatch_is_reported():
    with pytest.raises(ValueError, match="input channels"):
        kp.layers.ResidualDenseBlock(filters=8)(np.zeros((1, 4, 4, 3), "float32"))


@pytest.mark.parametrize("scale", [4, 2])
def test_image_residual_starts_as_bicubic(scale):
    model = kp.models.RRDBNet(scale=scale, image_residual=True, **SMALL)
    x = RNG.random((2, 8, 12, 3)).astype("float32")
    bicubic = bicubic_brute_force(x, scale)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(x)), bicubic, atol=1e-5)
    run_model_test(model, x, (2, 8 * scale, 12 * scale, 3), run_training_check=False)
    # The zero last convolution blocks the gradient of every other weight
    # for one step only: after two, all of them have moved (Adam: a tiny
    # gradient still makes a visible step).
    before = [np.asarray(w) for w in model.trainable_weights]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mae")
    target = RNG.random((2, 8 * scale, 12 * scale, 3)).astype("float32")
    model.fit(x, target, batch_size=2, epochs=2, verbose=0)
    for weight, old in zip(model.trainable_weights, before, strict=True):
        assert not np.array_equal(np.asarray(weight), old), weight.path
    assert not np.allclose(keras.ops.convert_to_numpy(model(x)), bicubic, atol=1e-5)


def test_image_residual_traces_with_unknown_sizes():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("tf.function tracing with unknown shapes is TensorFlow-only")
    import tensorflow as tf

    model = kp.models.RRDBNet(image_residual=True, **SMALL)
    traced = tf.function(model, input_signature=[tf.TensorSpec((None, None, None, 3))])
    for shape in [(1, 5, 9, 3), (2, 4, 3, 3)]:
        x = RNG.random(shape).astype("float32")
        np.testing.assert_allclose(
            traced(x).numpy(), bicubic_brute_force(x, 4), atol=1e-5
        )


def test_image_residual_needs_as_many_outputs_as_inputs():
    with pytest.raises(ValueError, match=r"in_channels=1, out_channels=3"):
        kp.models.RRDBNet(in_channels=1, image_residual=True, **SMALL)
