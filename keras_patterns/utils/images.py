"""Checks and conversions for image arguments of public entry points.

Public functions accept uint8 images in [0, 255] or floating images in
[0, 1]; these helpers validate that contract once, with messages that name
the argument, so no stage silently clips or rescales bad input.
"""

from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import Size


def check_image(
    image: ArrayLike,
    name: str = "image",
    batched: bool | None = None,
    channels: Collection[int] = (1, 3, 4),
) -> np.ndarray:
    """Validates an image (or batch) array and returns it as a numpy array.

    Args:
        image: array-like, channels last.
        name: argument name used in error messages.
        batched: `True` requires `(N, H, W, C)`, `False` requires
            `(H, W, C)`, `None` accepts either.
        channels: allowed channel counts.

    Returns:
        The image as a numpy array (not copied when already one).
    """
    array = np.asarray(image)
    ranks = {True: (4,), False: (3,), None: (3, 4)}[batched]
    forms = {3: "(H, W, C)", 4: "(N, H, W, C)"}
    if array.ndim not in ranks or array.shape[-1] not in channels:
        expected = " or ".join(forms[r] for r in ranks)
        raise ValueError(
            f'"{name}" must have shape {expected} with C in {tuple(channels)}. '
            f"Received: {name} with shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(f'"{name}" must not be empty. Received shape {array.shape}')
    if array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f'"{name}" must be uint8 in [0, 255] or float in [0, 1]. '
            f"Received: dtype {array.dtype}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f'"{name}" contains NaN or infinite values.')
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f'"{name}" is floating point, so it must lie in [0, 1]. '
            f"Received values in [{low:.4g}, {high:.4g}] (pass uint8 for [0, 255])."
        )
    return array


def to_uint8(image: ArrayLike, name: str = "image", **kwargs: Any) -> np.ndarray:
    """Validates `image` and returns it as uint8 in [0, 255].

    Args:
        image: array-like, channels last, uint8 or float in [0, 1].
        name: argument name used in error messages.
        **kwargs: `batched` and `channels`, as in `check_image`.

    Returns:
        The image as a uint8 numpy array (not copied when already one).
    """
    array = check_image(image, name, **kwargs)
    if array.dtype == np.uint8:
        return array
    return np.round(array * 255.0).astype(np.uint8)


def to_float(image: ArrayLike, name: str = "image", **kwargs: Any) -> np.ndarray:
    """Validates `image` and returns it as float32 in [0, 1].

    Args:
        image: array-like, channels last, uint8 or float in [0, 1].
        name: argument name used in error messages.
        **kwargs: `batched` and `channels`, as in `check_image`.

    Returns:
        The image as a float32 numpy array.
    """
    array = check_image(image, name, **kwargs)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    return array.astype(np.float32, copy=False)


def centre_square(image: np.ndarray) -> np.ndarray:
    """The largest centred square crop of an `(H, W, ...)` array.

    Args:
        image: an array whose first two axes are height and width.

    Returns:
        A view of `image`, `(S, S, ...)` with `S = min(H, W)`.
    """
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


def resize_image(
    image: np.ndarray,
    size: Size,
    resample: int | None = None,
    reducing_gap: float | None = None,
) -> np.ndarray:
    """Resizes a uint8 image (or label map) to `(height, width)` with Pillow.

    Args:
        image: a uint8 `(H, W, C)` image or `(H, W)` label map.
        size: the `(height, width)` to resize to.
        resample: a `PIL.Image` filter, bicubic by default; use
            `Image.NEAREST` for label maps.
        reducing_gap: Pillow's two-step downscale (a box reduction by an
            integer factor, then `resample`): 2.0 halves the time of a large
            reduction; `None` resamples in one step.

    Returns:
        The resized uint8 array.
    """
    from PIL import Image

    resample = Image.BICUBIC if resample is None else resample
    pil = Image.fromarray(image)
    return np.asarray(
        pil.resize((size[1], size[0]), resample, reducing_gap=reducing_gap)
    )


def label_maps(
    segmenter: Any,
    photos: Sequence[np.ndarray] | np.ndarray,
    size: Size | None = None,
    batch_size: int = 32,
    decide: Callable[[int, np.ndarray], np.ndarray] | None = None,
) -> list[np.ndarray]:
    """The segmenter's label map of each photo, at the photo's own size.

    With `size`, photos are resized (bilinearly) to `(height, width)` for
    the segmenter, the size it was trained at, and the maps come back with
    nearest-neighbour resizing, so no label is invented at the edges.

    Args:
        segmenter: a model with `predict_labels` (and `predict_logits`
            when `decide` is given).
        photos: a sequence of `(H, W, 3)` images, or an `(N, H, W, 3)` array.
        size: optional `(height, width)` the segmenter runs at.
        batch_size: photos per forward pass.
        decide: optional `decide(i, logits) -> labels`: how photo `i`'s
            `(h, w, C)` logits become its label map, instead of the argmax.

    Returns:
        A list of `(H, W)` label maps, one per photo, each at its photo's
        size.
    """
    from PIL import Image

    if not len(photos):
        return []
    inputs = list(photos)
    if size is not None:
        inputs = np.stack([resize_image(p, size, Image.BILINEAR) for p in photos])
    if decide is None:
        maps = segmenter.predict_labels(inputs, batch_size=batch_size)
    else:
        maps = []
        for start in range(0, len(inputs), batch_size):
            logits = segmenter.predict_logits(
                inputs[start : start + batch_size], batch_size=batch_size
            )
            maps += [decide(start + i, scores) for i, scores in enumerate(logits)]
    return [
        labels
        if labels.shape == photo.shape[:2]
        else resize_image(labels, photo.shape[:2], Image.NEAREST)
        for labels, photo in zip(maps, photos, strict=True)
    ]
