"""The upsampling layers every stage shares, against independent references."""

import json
import zipfile

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.utils.polyphase import upsample
from tests.helpers import bicubic_brute_force
from tests.helpers import run_layer_test

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("factor", [1, 2, 3, 4])
def test_bilinear_upsampling_matches_image_resize(factor):
    x = RNG.normal(size=(2, 5, 7, 3)).astype("float32")
    ours = np.asarray(kp.layers.BilinearUpsampling(factor)(x))
    reference = keras.ops.image.resize(
        x, (5 * factor, 7 * factor), interpolation="bilinear"
    )
    np.testing.assert_allclose(ours, np.asarray(reference), atol=1e-5)


def test_nearest_upsampling():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    out = np.asarray(kp.layers.NearestUpsampling()(x))[0, ..., 0]
    np.testing.assert_array_equal(
        out, [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    )


@pytest.mark.parametrize("factor", [1, 3])
def test_nearest_upsampling_by_any_factor_repeats_pixels(factor):
    x = RNG.normal(size=(2, 3, 4, 2)).astype("float32")
    expected = x.repeat(factor, axis=1).repeat(factor, axis=2)
    np.testing.assert_array_equal(
        np.asarray(kp.layers.NearestUpsampling(factor)(x)), expected
    )
    np.testing.assert_array_equal(np.asarray(upsample(x, factor, "nearest")), expected)


@pytest.mark.parametrize(
    "layer, factor",
    [
        (kp.layers.NearestUpsampling, 3),
        (kp.layers.BilinearUpsampling, 2),
        (kp.layers.BicubicUpsampling, 2),
    ],
)
def test_shared_checks(layer, factor):
    run_layer_test(
        layer,
        {"factor": factor},
        RNG.random((2, 3, 4, 5)),
        (2, 3 * factor, 4 * factor, 5),
        expected_num_trainable_weights=0,
        run_training_check=False,
    )


def test_nearest_upsampling_reads_configs_without_a_factor():
    # Configs saved before the layer took a factor upsample by 2.
    layer = kp.layers.NearestUpsampling.from_config({"name": "upsample1"})
    assert layer.factor == 2 and layer.get_config()["factor"] == 2


def test_nearest_upsampling_is_keras_upsampling_2d():
    x = RNG.normal(size=(2, 3, 4, 2)).astype("float32")
    layer = kp.layers.NearestUpsampling(3)
    assert isinstance(layer, keras.layers.UpSampling2D)
    reference = keras.layers.UpSampling2D(3, interpolation="nearest")(x)
    np.testing.assert_array_equal(np.asarray(layer(x)), np.asarray(reference))


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="TensorFlow graph tracing"
)
def test_upsampling_2d_nearest_traces_with_unknown_sizes():
    # Why the models can use Keras' layer: it repeats pixels, no static size.
    import tensorflow as tf

    layer = keras.layers.UpSampling2D(2, interpolation="nearest")
    traced = tf.function(
        layer, input_signature=[tf.TensorSpec((None, None, None, 1), tf.float32)]
    )
    x = RNG.normal(size=(1, 3, 5, 1)).astype("float32")
    expected = x.repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_array_equal(traced(tf.constant(x)).numpy(), expected)


# `keras_patterns>NearestUpsampling` as earlier versions wrote it: 0.1.0 in
# `enhancement.rrdb_net` without a factor (x2), later in `modeling.upsampling`
# with one. Neither module path holds the class now.
OLD_CONFIGS = [
    ("keras_patterns.enhancement.rrdb_net", {}, 2),
    ("keras_patterns.modeling.upsampling", {"factor": 3}, 3),
]


@pytest.mark.parametrize("module, extra, factor", OLD_CONFIGS)
def test_files_saved_with_the_old_layer_config_load(tmp_path, module, extra, factor):
    model = keras.Sequential(
        [keras.Input((3, 4, 2)), keras.layers.UpSampling2D(2, name="upsample1")]
    )
    model.save(tmp_path / "new.keras")
    with zipfile.ZipFile(tmp_path / "new.keras") as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    layer = config["config"]["layers"][-1]
    layer.update(
        module=module,
        class_name="NearestUpsampling",
        registered_name="keras_patterns>NearestUpsampling",
        config={
            "name": "upsample1",
            "trainable": True,
            "dtype": layer["config"]["dtype"],
            **extra,
        },
    )
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "old.keras", "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)

    loaded = keras.saving.load_model(tmp_path / "old.keras", safe_mode=True)
    assert isinstance(loaded.layers[-1], kp.layers.NearestUpsampling)
    x = RNG.normal(size=(2, 3, 4, 2)).astype("float32")
    expected = x.repeat(factor, axis=1).repeat(factor, axis=2)
    np.testing.assert_array_equal(np.asarray(loaded(x)), expected)
    assert loaded.layers[-1].get_config()["factor"] == factor


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_bicubic_upsampling_against_brute_force_and_tensorflow(factor):
    import tensorflow as tf

    x = RNG.random((2, 5, 7, 3)).astype("float32")
    ours = np.asarray(kp.layers.BicubicUpsampling(factor)(x))
    np.testing.assert_allclose(ours, bicubic_brute_force(x, factor), atol=1e-5)
    reference = tf.image.resize(x, (5 * factor, 7 * factor), method="bicubic")
    # TensorFlow tabulates its kernel: exact at the phases of x2 and x4.
    atol = 1e-5 if factor in (2, 4) else 1e-3
    np.testing.assert_allclose(ours, reference.numpy(), atol=atol)


@pytest.mark.parametrize("value", [0, -2, 1.5, True, "2"])
@pytest.mark.parametrize(
    "make",
    [
        kp.layers.NearestUpsampling,
        kp.layers.BilinearUpsampling,
        kp.layers.BicubicUpsampling,
    ],
)
def test_factor_is_checked(make, value):
    with pytest.raises(ValueError, match='"factor" must be an int >= 1'):
        make(value)
    assert make(np.int64(3)).get_config()["factor"] == 3  # NumPy ints are fine
