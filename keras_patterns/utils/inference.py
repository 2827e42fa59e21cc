"""Inference in batches through one compiled function per model.

`keras.Model.predict` builds a data pipeline and a progress callback on
every call: tens of milliseconds, more than the forward pass of a small
batch. `predict_on_batch` reuses the model's compiled predict function
(`tf.function` on TensorFlow, `jax.jit` on JAX) and costs about what the
network does. A new input shape, though, means a new trace:

- On TensorFlow, `predict_batches` traces the predict function once for
  any batch size (and, with `any_size`, any height and width), so inputs
  of new sizes reuse that graph; the first call pays one trace.
- On JAX, which compiles each shape anew, the last, partial batch is
  padded (by repeating its last input) up to the next power of two, so a
  model sees at most `log2(batch_size) + 1` batch shapes per image size,
  and the padding costs less than the last batch itself.
- PyTorch runs eagerly: nothing to trace.
"""

import logging
import weakref
from typing import Any

import keras
import numpy as np

from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.validation import check_int

logger = logging.getLogger(__name__)

# model -> (id of its predict function, the relaxed input shapes traced for it)
_RELAXED = weakref.WeakKeyDictionary()


def padded_size(count: int, batch_size: int) -> int:
    """The batch size `count` inputs are padded to on JAX: the next power of two.

    Args:
        count: inputs in the batch, at most `batch_size`.
        batch_size: the full batch size (always kept as it is).

    Returns:
        `batch_size` when `count == batch_size`, else the smallest power of
        two at least `count`, capped at `batch_size`.

    Example:

    >>> from keras_patterns.utils.inference import padded_size
    >>> [padded_size(n, 48) for n in (1, 3, 17, 33, 48)]
    [1, 4, 32, 48, 48]
    """
    return min(batch_size, 1 << max(0, count - 1).bit_length())


def _trace_relaxed(model, batch, any_size):
    """On TensorFlow, traces `model`'s predict function for a relaxed shape."""
    if keras.backend.backend() != "tensorflow":
        return
    model.make_predict_function()
    function = model.predict_function
    if not hasattr(function, "get_concrete_function"):  # run_eagerly
        return
    spatial = [None] * (batch.ndim - 2) if any_size else list(batch.shape[1:-1])
    shape = (None, *spatial, batch.shape[-1])
    known, traced = _RELAXED.get(model, (None, set()))
    if known != id(function):  # compile() made a new one
        traced = set()
    if shape not in traced:
        traced.add(shape)
        spec = tf.TensorSpec(shape, batch.dtype)
        try:
            function.get_concrete_function([(spec,)])
        except Exception as error:  # a layer needing static sizes: trace per shape
            logger.debug("No relaxed trace of %s for %s: %s", model.name, shape, error)
    _RELAXED[model] = (id(function), traced)


def predict_batches(
    model: Any, inputs: np.ndarray, batch_size: int = 64, any_size: bool = False
) -> np.ndarray:
    """`model`'s inference outputs for `inputs`, batch by batch, compiled once.

    Calls `model.predict_on_batch` (or, for a callable without it, the
    model with `training=False`) on slices of `batch_size` inputs; on JAX
    the last slice is padded to `padded_size(...)` and its padding dropped
    from the result. Every output row depends on its own input only.

    Args:
        model: a `keras.Model`, or any callable mapping a batch to a batch.
        inputs: the batch `(N, ...)`, as the model takes it.
        batch_size: inputs per forward pass.
        any_size: the model will see inputs of many heights and widths (a
            fully convolutional network on patches of any size): on
            TensorFlow, one graph serves them all. Leave it off for models
            that run at one size: a graph with unknown sizes can be slower
            (DeepLabV3+'s resizing is, by about 1.7x here).

    Returns:
        The outputs `(N, ...)`, a NumPy array.

    Example:

    >>> import keras, numpy as np
    >>> from keras_patterns.utils.inference import predict_batches
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> x = np.random.default_rng(0).random((5, 3)).astype("float32")
    >>> bool(np.allclose(predict_batches(model, x, 2), model.predict(x, verbose=0),
    ...                  atol=1e-6))
    True
    """
    check_int(batch_size, "batch_size")
    inputs = np.asarray(inputs)
    if not len(inputs):
        raise ValueError('"inputs" must hold at least one input. Received: 0')
    if hasattr(model, "predict_on_batch"):
        _trace_relaxed(model, inputs, any_size)
        run = model.predict_on_batch
    else:

        def run(batch):
            return keras.ops.convert_to_numpy(model(batch, training=False))

    pad = keras.backend.backend() == "jax"
    outputs = []
    for start in range(0, len(inputs), batch_size):
        batch = inputs[start : start + batch_size]
        count = len(batch)
        padding = padded_size(count, batch_size) - count if pad else 0
        if padding:
            batch = np.concatenate([batch, np.repeat(batch[-1:], padding, axis=0)])
        outputs.append(np.asarray(run(batch))[:count])
    return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)
