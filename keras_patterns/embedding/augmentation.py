"""Augmentations that keep the pattern and change everything else."""

from collections.abc import Callable

import numpy as np

from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.typing import Size
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_size


def _maybe(probability, apply, image):
    return tf.cond(
        tf.random.uniform([]) < probability, lambda: apply(image), lambda: image
    )


def _colour_jitter(image):
    """Strong enough that colour alone cannot tell two patches apart."""
    image = tf.image.random_hue(image, 0.5)
    image = tf.image.random_saturation(image, 0.3, 1.7)
    image = tf.image.random_brightness(image, 0.15)
    image = tf.image.random_contrast(image, 0.6, 1.5)
    image = _maybe(
        0.5, lambda x: tf.gather(x, tf.random.shuffle(tf.range(3)), axis=-1), image
    )
    image = _maybe(
        0.15, lambda x: tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(x)), image
    )
    return _maybe(0.1, lambda x: 1.0 - x, image)


def _blur(image):
    kernel = tf.constant(np.outer([1, 2, 1], [1, 2, 1]) / 16.0, tf.float32)
    kernel = tf.tile(kernel[:, :, None, None], [1, 1, 3, 1])
    return tf.nn.depthwise_conv2d(image[None], kernel, [1, 1, 1, 1], "SAME")[0]


def _camera(image):
    """What photographs add: slight blur, sensor noise, JPEG compression."""
    image = _maybe(0.2, _blur, image)
    noise = tf.random.normal(tf.shape(image), stddev=tf.random.uniform([], 0.0, 0.03))
    image = tf.clip_by_value(image + noise, 0.0, 1.0)
    return _maybe(0.3, lambda x: tf.image.random_jpeg_quality(x, 40, 95), image)


def pattern_augmentation(
    size: Size = (64, 64),
    keep_color: bool = False,
    rotate: bool = False,
    min_crop: float = 0.55,
) -> Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """A `tf.data` map function `(image, label) -> (image, label)` for pattern training.

    Random crop of `min_crop` to the whole of the patch's shorter side
    (aspect 4:5 to 5:4), resized to `size` (scale jitter), horizontal and
    vertical flips, optionally 90-degree rotations, then colour jitter
    (full hue circle, saturation, brightness, contrast, channel shuffle,
    greyscale, inversion) unless `keep_color`, and camera effects (blur,
    noise, JPEG). Images are float32 in [0, 1] in and out.

    Args:
        size: output `(height, width)`.
        keep_color: keep colours, for "same pattern and same colour" groups.
        rotate: add 90-degree rotations; off by default, since it would
            make horizontal and vertical stripes the same pattern.
        min_crop: smallest crop side, as a share of the patch's shorter side.

    Returns:
        A function `(image, label) -> (image, label)` for `tf.data.Dataset.map`;
        the image comes out `(*size, 3)` float32, the label unchanged.

    Example:

    >>> import keras_patterns as kp
    >>> data = kp.datasets.make_pattern_patches(8, (48, 48), views_per_item=2)
    >>> augment = kp.embedding.pattern_augmentation((32, 32))
    >>> ds = kp.datasets.triplet_dataset(data, "item_id", p=2, k=2, map_fn=augment)
    >>> tuple(next(iter(ds))[0].shape)
    (4, 32, 32, 3)
    """
    size = check_size(size, "size", minimum=8)
    if not 0.1 <= min_crop <= 1.0:
        raise ValueError(
            f'"min_crop" must lie in [0.1, 1]. Received: min_crop={min_crop!r}'
        )

    def augment(image: Tensor, label: Tensor) -> tuple[Tensor, Tensor]:
        image = tf.image.convert_image_dtype(image, tf.float32)
        shape = tf.shape(image)
        side = tf.cast(tf.minimum(shape[0], shape[1]), tf.float32)
        crop = side * tf.random.uniform([], min_crop, 1.0)
        aspect = tf.exp(tf.random.uniform([], np.log(0.8), np.log(1.25)))
        height = tf.cast(
            tf.minimum(crop * tf.sqrt(aspect), tf.cast(shape[0], tf.float32)), tf.int32
        )
        width = tf.cast(
            tf.minimum(crop / tf.sqrt(aspect), tf.cast(shape[1], tf.float32)), tf.int32
        )
        image = tf.image.random_crop(image, tf.stack([height, width, 3]))
        image = tf.image.resize(image, size, antialias=True)
        image = tf.image.random_flip_left_right(tf.image.random_flip_up_down(image))
        if rotate:
            image = tf.image.rot90(image, tf.random.uniform([], 0, 4, tf.int32))
        if not keep_color:
            image = _colour_jitter(tf.clip_by_value(image, 0.0, 1.0))
        image = _camera(tf.clip_by_value(image, 0.0, 1.0))
        return tf.ensure_shape(image, (*size, 3)), label

    return augment
