"""Mean intersection over union, in training (Keras) and on label maps (NumPy)."""

import keras
import numpy as np

from keras_patterns.modeling.labels import IGNORE_LABEL
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.validation import check_int


def mean_iou_metric(num_classes: int, name: str = "mean_iou") -> keras.metrics.MeanIoU:
    """`keras.metrics.MeanIoU` for logits, skipping `IGNORE_LABEL` pixels.

    Args:
        num_classes: number of classes.
        name: name of the metric.

    Returns:
        A `keras.metrics.MeanIoU` that takes sparse labels and per-class
        logits (or probabilities).

    Example:

    >>> import keras_patterns as kp
    >>> metric = kp.metrics.mean_iou_metric(9)
    >>> metric.name, metric.num_classes
    ('mean_iou', 9)
    """
    return keras.metrics.MeanIoU(
        num_classes=num_classes,
        ignore_class=IGNORE_LABEL,
        sparse_y_true=True,
        sparse_y_pred=False,
        name=name,
    )


def mean_iou(
    labels: ArrayLike,
    predicted: ArrayLike,
    num_classes: int,
    ignore_class: int = IGNORE_LABEL,
) -> float:
    """Mean IoU over the classes present in `labels` or `predicted`.

    Pixels labelled `ignore_class` are skipped; a class found in neither
    the truth nor the prediction does not count (as in PASCAL VOC).

    Args:
        labels: integer ground-truth label maps, any shape.
        predicted: predicted label ids, the same shape.
        num_classes: number of classes.
        ignore_class: label of pixels to skip.

    Returns:
        A float in [0, 1].

    Example:

    >>> import numpy as np
    >>> from keras_patterns.segmentation import mean_iou
    >>> mean_iou(np.array([0, 0, 1, 255]), np.array([0, 1, 1, 0]), 2)
    0.5
    """
    num_classes = check_int(num_classes, "num_classes")
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    if labels.shape != predicted.shape:
        raise ValueError(
            '"labels" and "predicted" must have the same shape. Received: '
            f"{labels.shape} and {predicted.shape}"
        )
    valid = labels != ignore_class
    truth, guess = labels[valid].astype(np.int64), predicted[valid].astype(np.int64)
    for name, ids in (("labels", truth), ("predicted", guess)):
        if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
            raise ValueError(
                f'"{name}" must hold ids in [0, {num_classes}) or '
                f"ignore_class={ignore_class}. Received ids from {ids.min()} "
                f"to {ids.max()}"
            )
    k = num_classes
    matrix = np.bincount(truth * k + guess, minlength=k * k).reshape(k, k)
    hits = np.diag(matrix).astype(float)
    union = matrix.sum(0) + matrix.sum(1) - hits
    return float(np.nanmean(np.where(union > 0, hits / np.maximum(union, 1), np.nan)))
