"""Pixel-wise cross-entropy that skips an ignore label, and its class weights."""

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_patterns.modeling.labels import IGNORE_LABEL
from keras_patterns.utils.distribution import global_mean
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_int


@keras.saving.register_keras_serializable(package="keras_patterns")
class MaskedSparseCategoricalCrossentropy(keras.losses.Loss):
    """Sparse cross-entropy over pixels, skipping `ignore_class`, with class weights.

    The value is the weighted mean over every valid pixel of the batch,
    `sum(w[y] * nll) / sum(w[y])` (PyTorch's `CrossEntropyLoss(weight=...,
    ignore_index=...)`), so images with many ignored pixels do not count
    for less. A batch with no valid pixel gives 0, not NaN. Trained on
    several replicas (`tf.distribute`), the mean is over the valid pixels
    of the global batch.

    Args:
        class_weights: optional sequence of `num_classes` non-negative
            weights, for example to raise rare classes (face, footwear).
        ignore_class: label of pixels to skip (`IGNORE_LABEL`, 255).
        from_logits: whether `y_pred` holds logits (default) or
            probabilities.
        name: name of the loss.
        **kwargs: other `keras.losses.Loss` arguments (`dtype`); a
            `reduction` is ignored (the loss reduces itself).

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
        class_weights: Sequence[float] | None = None,
        ignore_class: int = IGNORE_LABEL,
        from_logits: bool = True,
        name: str = "masked_sparse_categorical_crossentropy",
        **kwargs: Any,
    ) -> None:
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

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
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
        # On several replicas each returns its numerator over the weights of
        # the global batch; Keras adds the replicas' gradients.
        return global_mean(ops.sum(nll * weights), ops.sum(weights), 1e-12)

    def get_config(self) -> dict[str, Any]:
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


def median_frequency_weights(
    labels: ArrayLike, num_classes: int, low: float = 0.1, high: float = 10.0
) -> list[float]:
    """Class weights `median(freq) / freq(c)` (median frequency balancing).

    Background covers most pixels of a product photo; without weights a
    young network predicts it everywhere for hundreds of steps. Classes
    absent from `labels` get weight 1; `IGNORE_LABEL` and other ids outside
    `[0, num_classes)` are not counted. Weights are clipped to
    `[low, high]` and rounded to 4 decimals, ready for
    `MaskedSparseCategoricalCrossentropy(class_weights=...)`.

    Args:
        labels: integer label maps of any shape.
        num_classes: number of classes.
        low: smallest weight.
        high: largest weight.

    Returns:
        A list of `num_classes` floats.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.segmentation import median_frequency_weights
    >>> median_frequency_weights(np.array([0, 0, 0, 1, 2, 2, 255]), 4)
    [0.6667, 2.0, 1.0, 1.0]

    Reference:
        Eigen and Fergus, "Predicting Depth, Surface Normals and Semantic
        Labels with a Common Multi-Scale Convolutional Architecture", ICCV
        2015 (arXiv:1411.4734); Badrinarayanan et al., "SegNet", TPAMI 2017.
    """
    num_classes = check_int(num_classes, "num_classes")
    labels = np.asarray(labels).ravel()
    labels = labels[(labels >= 0) & (labels < num_classes)].astype(np.int64)
    counts = np.bincount(labels, minlength=num_classes)
    frequency = counts / max(counts.sum(), 1)
    present = frequency > 0
    weights = np.ones(num_classes)
    weights[present] = np.median(frequency[present]) / frequency[present]
    return np.clip(weights, low, high).round(4).tolist()
