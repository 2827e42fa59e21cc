"""Augmentations that keep the pattern and change everything else.

Built from Keras 3's preprocessing layers, so they are batched, seeded and
run inside `tf.data` on every backend; the few changes Keras lacks
(channel shuffles, quarter turns, per-image noise, JPEG) are small layers
in `augmentation_layers`.
"""

import itertools
from collections.abc import Callable
from collections.abc import Iterator

import keras

from keras_patterns.embedding.augmentation_layers import RandomChannelShuffle
from keras_patterns.embedding.augmentation_layers import RandomGaussianNoise
from keras_patterns.embedding.augmentation_layers import RandomJpegQuality
from keras_patterns.embedding.augmentation_layers import RandomQuarterTurn
from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.typing import Size
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_size

UNIT = (0.0, 1.0)


def _geometry(size, rotate, min_crop, seeds):
    # A zoom about the centre into min_crop .. 1 of the side, then the
    # resize. Zooming in never reaches past the edges, so nothing is filled
    # (a reflected edge would turn stripes into chevrons). The crop stays
    # centred: for textures its scale matters, its place little, and a
    # shifted crop (RandomTranslation, then CenterCrop) must give up its
    # largest sizes to stay inside; trained on synthetic swatches, it
    # retrieved no better than this over four seeds.
    layers = []
    if min_crop < 1.0:
        zoom = (min_crop - 1.0, 0.0)
        layers.append(
            keras.layers.RandomZoom(zoom, fill_mode="constant", seed=next(seeds))
        )
    layers += [
        keras.layers.Resizing(*size, antialias=True, crop_to_aspect_ratio=True),
        keras.layers.RandomFlip("horizontal", seed=next(seeds)),
        # Separate from the horizontal flip: "horizontal_and_vertical" draws
        # once for both, which gives half-turns, never a single flip.
        keras.layers.RandomFlip("vertical", seed=next(seeds)),
    ]
    return layers + ([RandomQuarterTurn(seed=next(seeds))] if rotate else [])


def _colour(seeds):
    # Strong enough that colour alone cannot tell two patches apart: the
    # whole hue circle, saturation x0.3 to x1.7 (RandomSaturation's factor
    # f scales by f / (1 - f)), brightness +-0.15, contrast x0.6 to x1.5.
    return [
        keras.layers.RandomColorJitter(
            value_range=UNIT,
            brightness_factor=0.15,
            contrast_factor=(0.4, 0.5),
            saturation_factor=(0.3 / 1.3, 1.7 / 2.7),
            hue_factor=(0.0, 1.0),
            seed=next(seeds),
        ),
        RandomChannelShuffle(0.5, seed=next(seeds)),
        keras.layers.RandomGrayscale(0.15, seed=next(seeds)),
        keras.layers.RandomInvert((0.1, 0.1), value_range=UNIT, seed=next(seeds)),
    ]


def _camera(seeds):
    # What photographs add: slight blur, sensor noise, JPEG compression.
    return [
        keras.layers.RandomGaussianBlur(
            (0.2, 0.2),
            kernel_size=3,
            sigma=(0.5, 1.0),
            value_range=UNIT,
            seed=next(seeds),
        ),
        RandomGaussianNoise((0.0, 0.03), value_range=UNIT, seed=next(seeds)),
        RandomJpegQuality(0.3, (40, 95), seed=next(seeds)),
    ]


def pattern_augmentation_layers(
    size: Size = (64, 64),
    keep_color: bool = False,
    rotate: bool = False,
    min_crop: float = 0.55,
    seed: int | None = None,
) -> "keras.layers.Pipeline":
    """The layers of `pattern_augmentation`, as a `keras.layers.Pipeline`.

    Float images in [0, 1], a batch `(N, H, W, 3)` or one image, in; images
    of `size` out. Each layer draws per image; with an int `seed` the
    layers get seeds `seed`, `seed + 1`, ..., so a new pipeline with the
    same seed repeats the same sequence of draws.

    Args:
        size: output `(height, width)`.
        keep_color: leave out the colour changes.
        rotate: add quarter turns (needs a square `size`).
        min_crop: smallest crop side, as a share of the image's side.
        seed: int seed, or `None` for random seeds.

    Returns:
        A `keras.layers.Pipeline`, usable in `tf.data.Dataset.map` on any
        backend (call it with `training=True`, the default).

    Raises:
        ValueError: if `size`, `min_crop` or `seed` is invalid, or
            `rotate` is asked for a size that is not square.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.embedding import pattern_augmentation_layers
    >>> pipeline = pattern_augmentation_layers((32, 32), seed=0)
    >>> images = np.random.default_rng(0).random((4, 48, 48, 3), dtype=np.float32)
    >>> tuple(np.asarray(pipeline(images)).shape)
    (4, 32, 32, 3)
    """
    size = check_size(size, "size", minimum=8)
    if not 0.1 <= min_crop <= 1.0:
        raise ValueError(
            f'"min_crop" must lie in [0.1, 1]. Received: min_crop={min_crop!r}'
        )
    if rotate and size[0] != size[1]:
        raise ValueError(
            f'"rotate" needs a square "size" (quarter turns). Received: size={size}'
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f'"seed" must be an int or None. Received: seed={seed!r}')
    seeds: Iterator[int | None] = (
        itertools.repeat(None) if seed is None else itertools.count(seed)
    )
    layers = _geometry(size, rotate, min_crop, seeds)
    if not keep_color:
        layers += _colour(seeds)
    layers += _camera(seeds)
    return keras.layers.Pipeline(layers, name="pattern_augmentation")


def pattern_augmentation(
    size: Size = (64, 64),
    keep_color: bool = False,
    rotate: bool = False,
    min_crop: float = 0.55,
    seed: int | None = None,
) -> Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """A `tf.data` map function `(images, labels) -> (images, labels)` for patterns.

    A random zoom about the centre into `min_crop` to the whole of the
    image's side (scale jitter), a resize to `size`,
    horizontal and vertical flips, optionally quarter turns, then colour
    jitter (full hue circle, saturation, brightness, contrast, channel
    shuffle, greyscale, inversion) unless `keep_color`, and camera effects
    (blur, noise, JPEG): `pattern_augmentation_layers`, Keras 3
    preprocessing layers and a few of this package's. Batched: map it
    after `batch` to draw for a whole batch at once (one image at a time
    also works). Images are uint8 or float in [0, 1] in, float32 in
    [0, 1] out.

    Args:
        size: output `(height, width)`.
        keep_color: keep colours, for "same pattern and same colour" groups.
        rotate: add quarter turns; off by default, since they would make
            horizontal and vertical stripes the same pattern. Needs a
            square `size`.
        min_crop: smallest crop side, as a share of the image's side.
        seed: int seed of every draw, or `None`. With a seed, a new
            function draws the same augmentations in the same order, when
            the data set maps it in order (`num_parallel_calls=None`).

    Returns:
        A function `(images, labels) -> (images, labels)` for
        `tf.data.Dataset.map`; the images come out `(..., *size, 3)`
        float32, the labels unchanged.

    Raises:
        ValueError: if `size`, `min_crop` or `seed` is invalid, or
            `rotate` is asked for a size that is not square.

    Example:

    >>> import keras_patterns as kp
    >>> data = kp.datasets.make_pattern_patches(8, (48, 48), views_per_item=2)
    >>> augment = kp.embedding.pattern_augmentation((32, 32), seed=0)
    >>> ds = kp.datasets.triplet_dataset(data, "item_id", p=2, k=2).map(augment)
    >>> tuple(next(iter(ds))[0].shape)
    (4, 32, 32, 3)
    """
    size = check_size(size, "size", minimum=8)
    pipeline = pattern_augmentation_layers(size, keep_color, rotate, min_crop, seed)

    def augment(images: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        images = tf.image.convert_image_dtype(images, tf.float32)
        images = tf.clip_by_value(pipeline(images, training=True), 0.0, 1.0)
        return tf.ensure_shape(images, [*images.shape[:-3], *size, 3]), labels

    return augment
