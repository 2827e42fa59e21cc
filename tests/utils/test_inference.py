import keras
import numpy as np
import pytest

from keras_patterns.utils.inference import padded_size
from keras_patterns.utils.inference import predict_batches


def test_padded_size_is_the_next_power_of_two_capped_at_the_batch():
    expected = {1: 1, 2: 2, 3: 4, 5: 8, 9: 16, 31: 32, 33: 48, 47: 48, 48: 48}
    assert {n: padded_size(n, 48) for n in expected} == expected


class Recorder:
    """A callable model (no `predict_on_batch`) that records batch shapes."""

    def __init__(self):
        self.shapes = []

    def __call__(self, batch, training=False):
        assert training is False
        self.shapes.append(batch.shape)
        return batch.reshape(len(batch), -1).sum(axis=1, keepdims=True) * 2.0


@pytest.mark.parametrize("count", [1, 5, 64, 65, 130])
def test_every_row_is_its_own_inputs_output_and_the_padding_is_dropped(count):
    x = np.random.default_rng(count).random((count, 3, 2), dtype=np.float32)
    recorder = Recorder()
    out = predict_batches(recorder, x, batch_size=64)
    np.testing.assert_allclose(out[:, 0], x.reshape(count, -1).sum(1) * 2, rtol=1e-6)
    # Full batches stay as they are; on JAX the last is padded to a power of two.
    sizes = [shape[0] for shape in recorder.shapes]
    full, rest = divmod(count, 64)
    if keras.backend.backend() == "jax" and rest:
        rest = padded_size(rest, 64)
    assert sizes == [64] * full + ([rest] if rest else [])


def test_a_keras_model_matches_its_plain_call_on_every_backend():
    model = keras.Sequential(
        [keras.Input((6, 5, 3)), keras.layers.Conv2D(4, 3), keras.layers.Flatten()]
    )
    x = np.random.default_rng(0).random((11, 6, 5, 3), dtype=np.float32)
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    for batch_size in (1, 4, 11, 64):
        np.testing.assert_allclose(
            predict_batches(model, x, batch_size), expected, atol=1e-5
        )


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one input"):
        predict_batches(Recorder(), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="batch_size"):
        predict_batches(Recorder(), np.zeros((2, 3)), batch_size=0)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="traces tf.functions"
)
def test_tensorflow_traces_once_for_every_batch_size_and_with_any_size_every_size():
    model = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(2, 3)])
    rng = np.random.default_rng(0)
    for count, side in ((5, 8), (3, 8), (64, 8), (7, 8)):
        x = rng.random((count, side, side, 3), dtype=np.float32)
        expected = keras.ops.convert_to_numpy(model(x))
        np.testing.assert_allclose(predict_batches(model, x, 4), expected, atol=1e-5)
    assert model.predict_function.experimental_get_tracing_count() == 1
    for side in (9, 12, 20):
        x = rng.random((3, side, side + 1, 3), dtype=np.float32)
        predict_batches(model, x, 4, any_size=True)
    assert model.predict_function.experimental_get_tracing_count() == 2
