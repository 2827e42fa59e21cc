"""Pixel-wise cross-entropy that skips an ignore label and weights classes."""

import keras
from keras import ops

from keras_patterns.datasets.inshop_classes import IGNORE_LABEL


@keras.saving.register_keras_serializable(package="keras_patterns")
class MaskedSparseCategoricalCrossentropy(keras.losses.Loss):
    """Sparse cross-entropy over pixels, skipping `ignore_class`, with class weights.

    The value is the weighted mean over every valid pixel of the batch,
    `sum(w[y] * nll) / sum(w[y])` (PyTorch's `CrossEntropyLoss(weight=...,
    ignore_index=...)`), so images with many ignored pixels do not count
    for less. A batch with no valid pixel gives 0, not NaN.

    Args:
        class_weights: optional sequence of `num_classes` non-negative
            weights, for example to raise rare classes (face, footwear).
        ignore_class: label of pixels to skip (`IGNORE_LABEL`, 255).
        from_logits: whether `y_pred` holds logits (default) or
            probabilities.
        name: name of the loss.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> loss = kp.losses.MaskedSparseCategoricalCrossentropy()
    >>> y_true = np.array([[[0, 255]]])
    >>> y_pred = np.array([[[[0.0, 0.0], [9.0, -9.0]]]])
    >>> round(float(loss(y_true, y_pred)), 4)  # log(2); the ignored pixel is skipped
    0.6931
    """

    def __init__(
        self,
        class_weights=None,
        ignore_class=IGNORE_LABEL,
        from_logits=True,
        name="masked_sparse_categorical_crossentropy",
        **kwargs,
    ):
        kwargs.pop("reduction", None)
        super().__init__(name=name, reduction="sum", **kwargs)
        if class_weights is not None:
            class_weights = [float(w) for w in class_weights]
            if not class_weights or min(class_weights) < 0:
                raise ValueError(
                    '"class_weights" must be non-negative numbers, one per class. '
                    f"Received: class_weights={class_weights!r}"
                )
        self.class_weights = class_weights
        self.ignore_class = ignore_class
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        y_true = ops.cast(y_true, "int32")
        if len(y_true.shape) == len(y_pred.shape):
            y_true = ops.squeeze(y_true, axis=-1)
        valid = ops.not_equal(y_true, self.ignore_class)
        labels = ops.where(valid, y_true, 0)
        if self.from_logits:
            log_probs = ops.log_softmax(y_pred, axis=-1)
        else:
            log_probs = ops.log(ops.clip(y_pred, 1e-7, 1.0))
        nll = -ops.squeeze(
            ops.take_along_axis(log_probs, labels[..., None], axis=-1), -1
        )
        weights = ops.cast(valid, "float32")
        if self.class_weights is not None:
            table = ops.convert_to_tensor(self.class_weights, "float32")
            weights = weights * ops.take(table, labels)
        return ops.sum(nll * weights) / ops.maximum(ops.sum(weights), 1e-12)

    def get_config(self):
        config = super().get_config()
        config.pop("reduction", None)
        config.update(
            {
                "class_weights": self.class_weights,
                "ignore_class": self.ignore_class,
                "from_logits": self.from_logits,
            }
        )
        return config
