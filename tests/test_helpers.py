"""The shared layer/model checks must pass good layers and catch broken ones."""

import keras
import numpy as np
import pytest

from tests.helpers import run_layer_test
from tests.helpers import run_model_test


@keras.saving.register_keras_serializable(package="keras_patterns_tests")
class ScaledDense(keras.layers.Layer):
    """A correct toy layer: Dense followed by a constant scale."""

    def __init__(self, units, scale=2.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale
        self.dense = keras.layers.Dense(units)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, x):
        return self.dense(x) * self.scale

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "scale": self.scale})
        return config


@keras.saving.register_keras_serializable(package="keras_patterns_tests")
class ForgetfulDense(ScaledDense):
    """Broken: its config forgets `scale`, so a clone computes other values."""

    def get_config(self):
        config = super().get_config()
        del config["scale"]
        return config


@keras.saving.register_keras_serializable(package="keras_patterns_tests")
class FrozenBias(ScaledDense):
    """Broken: a trainable weight that no gradient ever reaches."""

    def build(self, input_shape):
        super().build(input_shape)
        self.unused = self.add_weight(shape=(self.units,), initializer="ones")

    def call(self, x):
        return self.dense(x) * self.scale + keras.ops.stop_gradient(self.unused)


X = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")


def test_passes_a_correct_layer():
    layer = run_layer_test(
        ScaledDense,
        {"units": 5, "scale": 3.0},
        X,
        (4, 5),
        expected_num_trainable_weights=2,
    )
    assert layer.scale == 3.0


def test_catches_incomplete_config():
    with pytest.raises(AssertionError, match="config round trip"):
        run_layer_test(ForgetfulDense, {"units": 5, "scale": 3.0}, X, (4, 5))


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_catches_untrained_weight():
    with pytest.raises(AssertionError, match="received no update"):
        run_layer_test(FrozenBias, {"units": 5}, X, (4, 5))


def test_catches_wrong_shape():
    with pytest.raises(AssertionError, match="output shape"):
        run_layer_test(ScaledDense, {"units": 5}, X, (4, 6))


def test_model_checks_on_functional_model():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, ScaledDense(2)(inputs))
    run_model_test(model, X, (4, 2))
