"""Photos of any size and type in, a segmenter's per-image outputs back.

The segmenter's input side, as KerasHub's image converters are: uint8 or
float photos, one, a batch or a list of different sizes, are checked and
scaled to [0, 1] (the backbone's own preprocessing lives inside the model),
same-size photos are batched together through one compiled forward pass,
and each output comes back at its photo's size.
"""

from collections.abc import Callable
from collections.abc import Sequence

import keras
import numpy as np

from keras_patterns.utils.images import to_float
from keras_patterns.utils.inference import predict_batches
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.validation import check_int


def predict_per_image(
    model: keras.Model,
    images: ArrayLike | Sequence[ArrayLike],
    batch_size: int,
    convert: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray | list[np.ndarray]:
    """`convert(output)` of `model` for each image, batched by image size.

    Args:
        model: a segmenter taking float images in [0, 1] of any size; its
            `image_shape[-1]` is the channel count it takes.
        images: one image `(H, W, C)`, a batch array `(N, H, W, C)` or a
            list of images of any sizes; uint8 in [0, 255] or float in
            [0, 1].
        batch_size: images per forward pass.
        convert: what to keep of one image's output (its label map, its
            float32 logits).

    Returns:
        One result for one image, `(N, ...)` stacked for a batch array, a
        list for a list.
    """
    check_int(batch_size, "batch_size")
    single = not isinstance(images, (list, tuple)) and np.ndim(images) == 3
    batched = not isinstance(images, (list, tuple)) and np.ndim(images) == 4
    items = [images] if single else list(images)
    if not items:
        raise ValueError('"images" must hold at least one image. Received: 0 images')
    channels = (model.image_shape[-1],)
    arrays = [
        to_float(image, f"images[{i}]", batched=False, channels=channels)
        for i, image in enumerate(items)
    ]
    results = [None] * len(arrays)
    by_shape = {}
    for index, array in enumerate(arrays):
        by_shape.setdefault(array.shape, []).append(index)
    for indices in by_shape.values():
        logits = predict_batches(
            model, np.stack([arrays[i] for i in indices]), batch_size
        )
        for i, output in zip(indices, logits, strict=True):
            results[i] = convert(output)
    if single:
        return results[0]
    return np.stack(results) if batched else results
