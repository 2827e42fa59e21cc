"""Batch-norm statistics re-estimated after training ("precise BN")."""

from collections.abc import Iterable

import keras

from keras_patterns.utils.typing import Tensor


def batch_norm_layers(
    model: keras.layers.Layer,
) -> list[keras.layers.BatchNormalization]:
    """Every `BatchNormalization` layer inside `model`, nested ones included.

    Args:
        model: a Keras model or layer.

    Returns:
        A list of the batch-norm layers (`model` itself not included).
    """
    return [
        layer
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def recalibrate_batch_norm(
    model: keras.Model,
    batches: Iterable[Tensor | tuple[Tensor, ...] | list[Tensor]],
    steps: int = 20,
) -> int:
    """Sets every batch-norm layer's moving statistics to their mean over `batches`.

    Moving averages lag behind the weights: after a short training run with
    momentum 0.99 they still hold much of their initial values, and the
    model predicts nonsense at inference while training looked fine. Running
    `steps` batches in training mode with momentum `i / (i + 1)` at batch
    `i` replaces them by the exact average of the batch statistics under
    the final weights. Weights are not changed.

    Args:
        model: a Keras model.
        batches: an iterable of batches, `x` or `(x, y)` tuples.
        steps: batches to average over.

    Returns:
        The number of batches used.
    """
    layers = batch_norm_layers(model)
    momenta = [layer.momentum for layer in layers]
    used = 0
    try:
        for batch in batches:
            if used >= steps:
                break
            for layer in layers:
                layer.momentum = used / (used + 1)
            inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
            model(inputs, training=True)
            used += 1
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
    return used
