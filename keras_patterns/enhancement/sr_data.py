"""(low-res, high-res) training pairs for super-resolution, as `tf.data`."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int


def _source(images):
    """A dataset of float32 [0, 1] images from arrays or file paths."""
    if isinstance(images, np.ndarray) and images.ndim == 4:
        data = tf.data.Dataset.from_tensor_slices(images)
        return data.map(lambda x: tf.image.convert_image_dtype(x, tf.float32)), len(
            images
        )
    items = list(images)
    if not items:
        raise ValueError('"images" must hold at least one image. Received: 0 images')
    if all(isinstance(item, (str, Path)) for item in items):
        paths = [str(p) for p in items]

        def decode(path):
            raw = tf.io.decode_image(
                tf.io.read_file(path), channels=3, expand_animations=False
            )
            return tf.image.convert_image_dtype(raw, tf.float32)

        return tf.data.Dataset.from_tensor_slices(paths).map(decode), len(paths)
    arrays = [np.asarray(item) for item in items]

    def generate():
        for array in arrays:
            yield array.astype(np.float32) / 255.0 if array.dtype == np.uint8 else array

    spec = tf.TensorSpec((None, None, arrays[0].shape[-1]), tf.float32)
    return tf.data.Dataset.from_generator(generate, output_signature=spec), len(arrays)


def degrade(high_res: Tensor, scale: int, method: str = "bicubic") -> Tensor:
    """Downscales `(..., H, W, C)` images by `scale`, antialiased, clipped to [0, 1].

    Args:
        high_res: float images in [0, 1], `(H, W, C)` or a batch
            `(N, H, W, C)`: a tensor or a NumPy array.
        scale: the downscaling factor; sizes are rounded down.
        method: a `tf.image.resize` kernel, such as `"bicubic"`,
            `"bilinear"`, `"area"` or `"lanczos3"`.

    Returns:
        A float32 `tf.Tensor` of `H // scale` by `W // scale` images.
    """
    shape = tf.shape(high_res)
    size = (shape[-3] // scale, shape[-2] // scale)
    low_res = tf.image.resize(high_res, size, method=method, antialias=True)
    return tf.clip_by_value(low_res, 0.0, 1.0)


def super_resolution_dataset(
    images: ArrayLike | Sequence[ArrayLike] | Sequence[str | Path],
    scale: int = 4,
    patch_size: int = 32,
    batch_size: int = 16,
    augment: bool = True,
    repeat: bool = True,
    shuffle: bool = True,
    seed: int = 0,
    method: str = "bicubic",
) -> "tf.data.Dataset":
    """Batches of `(low_res, high_res)` patches cut from high-resolution images.

    Each element is a random `patch_size * scale` square crop of an image
    (images smaller than that are skipped), randomly flipped and rotated by a
    multiple of 90 degrees when `augment`, and its bicubic downscale by
    `scale` (antialiased, as MATLAB's `imresize` that the SR literature uses).

    Args:
        images: high-resolution images: an array `(N, H, W, C)`, a list of
            arrays (uint8 or float in [0, 1]) or a list of file paths.
        scale: the super-resolution factor.
        patch_size: side of the low-resolution patches.
        batch_size: pairs per batch.
        augment: random flips and 90-degree rotations.
        repeat: repeat forever (use with `steps_per_epoch`).
        shuffle: shuffle the images.
        seed: seed of cropping, augmentation and shuffling.
        method: downscaling kernel (`"bicubic"`, `"bilinear"`, `"area"`).

    Returns:
        A `tf.data.Dataset` of float32 `(batch, p, p, C)` and
        `(batch, p * scale, p * scale, C)` in [0, 1].

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> hr = np.random.default_rng(0).integers(0, 256, (4, 64, 64, 3), np.uint8)
    >>> ds = kp.enhancement.super_resolution_dataset(
    ...     hr, scale=4, patch_size=8, batch_size=2
    ... )
    >>> low, high = next(iter(ds))
    >>> tuple(low.shape), tuple(high.shape)
    ((2, 8, 8, 3), (2, 32, 32, 3))
    """
    check_int(scale, "scale")
    check_int(patch_size, "patch_size")
    check_int(batch_size, "batch_size")
    check_choice(method, ("bicubic", "bilinear", "area", "lanczos3"), "method")
    data, count = _source(images)
    side = patch_size * scale
    data = data.filter(lambda x: tf.shape(x)[0] >= side and tf.shape(x)[1] >= side)
    if shuffle:
        data = data.shuffle(min(count, 1024), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        data = data.repeat()
    seeds = tf.data.Dataset.random(seed=seed).batch(2)

    # Per example with stateless TensorFlow ops rather than Keras'
    # preprocessing layers: the crops come from images of different sizes,
    # before they can be batched; quarter turns must be exact (Keras'
    # RandomRotation interpolates); and a per-element seed keeps the
    # parallel map deterministic (Keras' layers draw from a shared state).
    def pair(image, element_seed):
        element_seed = tf.cast(element_seed, tf.int32)
        channels = tf.shape(image)[-1]
        crop = tf.image.stateless_random_crop(
            image, [side, side, channels], element_seed
        )
        if augment:
            crop = tf.image.stateless_random_flip_left_right(crop, element_seed + 1)
            turns = tf.random.stateless_uniform([], element_seed + 2, 0, 4, tf.int32)
            crop = tf.image.rot90(crop, turns)
        return degrade(crop, scale, method), crop

    data = tf.data.Dataset.zip((data, seeds)).map(
        pair, num_parallel_calls=tf.data.AUTOTUNE
    )
    return data.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
