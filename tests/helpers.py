"""Checks every public layer and model must pass, shared by all test files.

`run_layer_test` and `run_model_test` build the object from a tiny
configuration and verify, in order:

1. the output shape (and `compute_output_shape`, when the layer has one);
2. the `get_config` / `from_config` round trip: same config, and the same
   output once the weights are copied over;
3. a `.keras` save and `keras.saving.load_model(..., safe_mode=True)`
   without `custom_objects`, giving equal outputs;
4. one optimiser step that changes the trainable weights (or, for a layer
   without weights, that it has none to train).

The checks use `assert`, so a failing check names what broke.
"""

import copy
import os
import tempfile

import keras
import numpy as np


def _to_numpy(tree):
    return keras.tree.map_structure(
        lambda x: np.asarray(keras.ops.convert_to_numpy(x)), tree
    )


def _shapes(tree):
    if isinstance(tree, dict):
        return {k: _shapes(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_shapes(v) for v in tree]
    return tuple(tree.shape)


def _assert_close(actual, expected, atol, rtol, what):
    flat_actual = keras.tree.flatten(_to_numpy(actual))
    flat_expected = keras.tree.flatten(_to_numpy(expected))
    assert len(flat_actual) == len(flat_expected), f"{what}: different output structure"
    for a, e in zip(flat_actual, flat_expected, strict=True):
        np.testing.assert_allclose(a, e, atol=atol, rtol=rtol, err_msg=what)


def _call(model, inputs):
    return model(inputs, training=False)


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(
        v is None or isinstance(v, (int, np.integer)) for v in x
    )


def _normalize_shapes(expected):
    if _is_shape(expected):
        return tuple(expected)
    if isinstance(expected, dict):
        return {k: _normalize_shapes(v) for k, v in expected.items()}
    return [_normalize_shapes(v) for v in expected]


def check_output_shape(model, inputs, expected_output_shape):
    output = _call(model, inputs)
    shapes = _shapes(output)
    assert shapes == _normalize_shapes(expected_output_shape), (
        f"output shape {shapes} != expected {expected_output_shape}"
    )
    return output


def check_config_round_trip(model, inputs, atol, rtol):
    config = model.get_config()
    clone = model.__class__.from_config(copy.deepcopy(config))
    assert clone.get_config() == config, "from_config(get_config()) changed the config"
    _call(clone, inputs)  # Builds the clone so its weights can be set.
    clone.set_weights(model.get_weights())
    _assert_close(
        _call(clone, inputs), _call(model, inputs), atol, rtol, "config round trip"
    )
    serialized = keras.saving.serialize_keras_object(model)
    revived = keras.saving.deserialize_keras_object(serialized)
    assert type(revived) is type(model), (
        "deserialize_keras_object returned another class"
    )


def check_saving(model, inputs, atol, rtol):
    expected = _call(model, inputs)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path, safe_mode=True)
    _assert_close(_call(restored, inputs), expected, atol, rtol, ".keras save/load")
    return restored


def fast_run_eagerly():
    """Eager steps are fastest for one TensorFlow step; JAX wants jit instead."""
    return keras.backend.backend() != "jax"


def check_training_step(model, inputs, loss="mse"):
    """One optimiser step must change at least one trainable weight."""
    if not model.trainable_weights:
        return False
    target = keras.tree.map_structure(
        lambda y: np.random.default_rng(0).normal(size=y.shape).astype("float32"),
        _to_numpy(_call(model, inputs)),
    )
    before = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=loss,
        metrics=None,
        run_eagerly=fast_run_eagerly(),
    )
    model.fit(
        inputs,
        target,
        epochs=1,
        batch_size=len(keras.tree.flatten(inputs)[0]),
        verbose=0,
    )
    after = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    changed = [not np.array_equal(b, a) for b, a in zip(before, after, strict=True)]
    assert any(changed), "one training step left every trainable weight unchanged"
    for weight, moved in zip(model.trainable_weights, changed, strict=True):
        assert moved, f"trainable weight {weight.path} received no update"
    return True


def _wrap(layer, inputs):
    """A functional model around `layer`, so it can be saved and trained."""
    spec = keras.tree.map_structure(
        lambda x: keras.Input(shape=np.shape(x)[1:]), inputs
    )
    return keras.Model(spec, layer(spec))


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_data,
    expected_output_shape,
    expected_num_trainable_weights=None,
    run_training_check=True,
    atol=1e-6,
    rtol=1e-6,
):
    """Runs the shared checks on a layer class; returns the built layer."""
    layer = layer_cls(**init_kwargs)
    check_output_shape(layer, input_data, expected_output_shape)
    if hasattr(layer, "compute_output_shape") and not isinstance(
        input_data, (dict, list)
    ):
        try:
            computed = layer.compute_output_shape(tuple(np.shape(input_data)))
        except NotImplementedError:
            computed = None
        if computed is not None:
            assert tuple(computed) == tuple(expected_output_shape), (
                f"compute_output_shape gave {computed}, "
                f"expected {expected_output_shape}"
            )
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    check_config_round_trip(layer, input_data, atol, rtol)
    model = _wrap(layer, input_data)
    check_saving(model, input_data, atol, rtol)
    if run_training_check:
        check_training_step(model, input_data)
    return layer


def run_model_test(
    model,
    input_data,
    expected_output_shape,
    run_training_check=True,
    loss="mse",
    atol=1e-5,
    rtol=1e-5,
):
    """Runs the shared checks on a built model instance; returns it."""
    check_output_shape(model, input_data, expected_output_shape)
    check_config_round_trip(model, input_data, atol, rtol)
    check_saving(model, input_data, atol, rtol)
    if run_training_check:
        assert check_training_step(model, input_data, loss), (
            "model has no trainable weights"
        )
    return model


def gradient(fn, x):
    """d fn(x) / dx with the active backend's own mechanism, as NumPy."""
    backend = keras.backend.backend()
    x = np.asarray(x, "float32")
    if backend == "tensorflow":
        import tensorflow as tf

        variable = tf.Variable(x)
        with tf.GradientTape() as tape:
            value = fn(variable)
        return tape.gradient(value, variable).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda v: fn(v))(x))
    import torch

    tensor = torch.tensor(x, requires_grad=True)
    fn(tensor).backward()
    return tensor.grad.numpy()


def bicubic_brute_force(x, factor, a=-0.5):
    """TensorFlow's bicubic upsampling, one output pixel at a time (NumPy).

    Half-pixel centres, Keys' kernel; taps outside the image are dropped
    and the remaining weights renormalised.
    """

    def kernel(d):
        d = abs(d)
        if d <= 1:
            return (a + 2) * d**3 - (a + 3) * d**2 + 1
        return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a if d < 2 else 0.0

    def weights(n):  # (factor * n, n): output row i from input rows
        matrix = np.zeros((factor * n, n))
        for i in range(factor * n):
            source = (i + 0.5) / factor - 0.5
            for j in range(int(np.floor(source)) - 1, int(np.floor(source)) + 3):
                if 0 <= j < n:
                    matrix[i, j] = kernel(source - j)
            matrix[i] /= matrix[i].sum()
        return matrix

    rows, cols = weights(x.shape[1]), weights(x.shape[2])
    return np.einsum("ih,jw,bhwc->bijc", rows, cols, x)


def traced_peak(run):
    """The peak of Python and NumPy allocations (tracemalloc) while `run()` runs.

    The objects alive before are frozen out of the garbage collector
    (`gc.freeze`) for the run, so cyclic garbage made during it is collected
    as often as in a fresh process: in a long test session, the many
    long-lived objects would otherwise postpone full collections and the
    uncollected cycles would count as growth.

    Args:
        run: a function of no arguments.

    Returns:
        The peak in bytes, above the allocations alive when it started.
    """
    import gc
    import tracemalloc

    gc.collect()
    gc.freeze()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
        gc.unfreeze()
