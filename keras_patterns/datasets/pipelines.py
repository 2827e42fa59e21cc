"""`tf.data` input pipelines: segmentation pairs and P x K item batches.

Pipelines use `tf.data` whatever the Keras backend (JAX and PyTorch models
consume its batches through `model.fit` as NumPy arrays). Label maps are only
ever resized with nearest-neighbour interpolation: bilinear resizing of masks
invents classes along borders.
"""

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from keras_patterns.datasets.inshop import InshopRecord
from keras_patterns.datasets.inshop import load_inshop
from keras_patterns.datasets.inshop_classes import class_lookup_table
from keras_patterns.modeling.labels import INSHOP_COLORS
from keras_patterns.modeling.labels import NINE_CLASSES
from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.sampling import pk_dataset
from keras_patterns.utils.typing import Size
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_int
from keras_patterns.utils.validation import check_size


def _rgb_to_ids(rgb):
    """In-graph colour-table lookup; unknown colours become 255 (ignore)."""
    codes = tf.cast(rgb, tf.int32)
    codes = codes[..., 0] * 65536 + codes[..., 1] * 256 + codes[..., 2]
    table = INSHOP_COLORS.astype(np.int32)
    keys = table[:, 0] * 65536 + table[:, 1] * 256 + table[:, 2]
    matches = tf.equal(codes[..., None], tf.constant(keys))
    ids = tf.argmax(tf.cast(matches, tf.int32), axis=-1, output_type=tf.int32)
    return tf.where(tf.reduce_any(matches, axis=-1), ids, 255)


def _decode_mask(path):
    """Decodes a flat (grey ids) or original (RGB/RGBA colours) mask."""
    raw = tf.io.decode_png(tf.io.read_file(path), channels=0)
    channels = tf.shape(raw)[-1]
    return tf.cond(
        channels < 3,
        lambda: tf.cast(raw[..., 0], tf.int32),
        lambda: _rgb_to_ids(raw[..., :3]),
    )


def _decode_image(path):
    image = tf.io.decode_image(
        tf.io.read_file(path), channels=3, expand_animations=False
    )
    return tf.image.convert_image_dtype(image, tf.float32)


def _segmentation_source(data):
    """Returns `(dataset of (image uint8|path, 16-class ids|path), from_files)`."""
    if isinstance(data, dict):
        images, masks = np.asarray(data["images"]), np.asarray(data["masks"])
        if images.ndim != 4 or masks.shape != images.shape[:3] or not len(images):
            raise ValueError(
                '"data" must hold "images" (N, H, W, 3) and "masks" (N, H, W) with '
                f"N >= 1. Received shapes {images.shape} and {masks.shape}"
            )
        return tf.data.Dataset.from_tensor_slices((images, masks)), False, len(images)
    records = load_inshop(data) if isinstance(data, (str, Path)) else list(data)
    pairs = [(r["image_path"], r["mask_path"]) for r in records if r["mask_path"]]
    if not pairs:
        raise ValueError(
            f'"data" has no image with a mask. Received {len(records)} record(s).'
        )
    images, masks = (list(column) for column in zip(*pairs, strict=True))
    return tf.data.Dataset.from_tensor_slices((images, masks)), True, len(pairs)


def _scale_crop(image, labels, size, scale_range, seed, crop=None):
    """Random rescale, then a random crop (padding with ignore) to `crop`.

    `crop` defaults to `size`, the size the scale factor is relative to.
    """
    height, width = crop or size
    scale = tf.random.stateless_uniform([], seed, *scale_range)
    new = tf.cast(tf.round(tf.constant(size, tf.float32) * scale), tf.int32)
    image = tf.image.resize(image, new, method="bilinear", antialias=True)
    labels = tf.image.resize(labels, new, method="nearest")
    pad_h, pad_w = tf.maximum(height - new[0], 0), tf.maximum(width - new[1], 0)
    paddings = [
        [pad_h // 2, pad_h - pad_h // 2],
        [pad_w // 2, pad_w - pad_w // 2],
        [0, 0],
    ]
    image = tf.pad(image, paddings)
    labels = tf.pad(labels + 1, paddings) - 1  # Padding becomes -1 ...
    labels = tf.where(labels < 0, 255, labels)  # ... and then ignore.
    stacked = tf.concat([image, tf.cast(labels, tf.float32)], axis=-1)
    crop = tf.image.stateless_random_crop(stacked, [height, width, 4], seed + 1)
    return crop[..., :3], tf.cast(crop[..., 3:], tf.int32)


def segmentation_dataset(
    data: dict[str, Any] | str | Path | Iterable[InshopRecord | Mapping[str, Any]],
    image_size: Size,
    batch_size: int,
    classes: Sequence[str] = NINE_CLASSES,
    discarded: str = "ignore",
    augment: bool = False,
    scale_range: tuple[float, float] = (0.75, 1.5),
    crop_size: Size | None = None,
    shuffle: int | None = None,
    repeat: bool = False,
    seed: int = 0,
    merges: Mapping[str, str] | None = None,
) -> "tf.data.Dataset":
    """A `tf.data.Dataset` of `(image, label_map)` batches for segmentation.

    Images come out float32 in [0, 1], `(batch, H, W, 3)`; label maps int32
    `(batch, H, W)` with ids into `classes` and `IGNORE_LABEL` (255) where a
    loss or metric should not look. Images are resized bilinearly (with
    antialiasing), label maps with nearest neighbour only.

    Args:
        data: the output of `make_pattern_garments` (a dict with `images`
            and 16-class `masks`), a list of In-shop records, or a folder
            read with `load_inshop` (either layout). Only images with a mask
            are used; RGB colour masks are converted in the graph (unknown
            colours become `IGNORE_LABEL`; `prepare_inshop` reports them).
        image_size: `(height, width)` of the output.
        batch_size: images per batch.
        classes: class names kept, in id order (default: the 9-class set).
        discarded: other classes become `"ignore"` (default) or
            `"background"`.
        augment: random horizontal flip and random scale-then-crop.
        scale_range: the scale factor range of the augmentation.
        crop_size: with `augment`, `(height, width)` of the random crops
            taken after rescaling (default: `image_size`): train on crops
            of larger images, at the cost per step of small ones.
        shuffle: shuffle buffer (default: the whole data set when
            `augment`, no shuffling otherwise).
        repeat: repeat forever (use with `steps_per_epoch`).
        seed: seed of shuffling and augmentation (deterministic).
        merges: In-shop classes folded into a kept one (`{"face": "skin"}`,
            see `class_lookup_table`).

    Returns:
        A batched, prefetched `tf.data.Dataset`.

    Example:

    >>> import keras_patterns as kp
    >>> data = kp.datasets.make_pattern_garments(4, image_size=(64, 48))
    >>> ds = kp.datasets.segmentation_dataset(data, (32, 24), batch_size=2)
    >>> images, labels = next(iter(ds))
    >>> tuple(images.shape), tuple(labels.shape)
    ((2, 32, 24, 3), (2, 32, 24))
    """
    size = check_size(image_size, minimum=8)
    out_size = size
    if augment and crop_size is not None:
        out_size = check_size(crop_size, "crop_size", minimum=8)
    check_int(batch_size, "batch_size")
    if len(scale_range) != 2 or not 0 < scale_range[0] <= scale_range[1]:
        raise ValueError(
            '"scale_range" must be (low, high) with 0 < low <= high. '
            f"Received: scale_range={scale_range!r}"
        )
    lookup = tf.constant(
        class_lookup_table(classes, discarded, merges).astype(np.int32)
    )
    dataset, from_files, count = _segmentation_source(data)
    shuffle = (count if augment else 0) if shuffle is None else shuffle
    if shuffle:
        dataset = dataset.shuffle(shuffle, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()

    def load(image, mask, element_seed):
        if from_files:
            image, mask = _decode_image(image), _decode_mask(mask)
        else:
            image = tf.image.convert_image_dtype(image, tf.float32)
            mask = tf.cast(mask, tf.int32)
        labels = tf.gather(lookup, tf.clip_by_value(mask, 0, 255))[..., None]
        image = tf.image.resize(image, size, method="bilinear", antialias=True)
        labels = tf.image.resize(labels, size, method="nearest")
        if augment:
            # Per example with stateless TensorFlow ops rather than Keras'
            # preprocessing layers: the label map must move with its image
            # and its padding must be IGNORE_LABEL (Keras fills masks as it
            # fills images), and a per-element seed keeps the parallel map
            # deterministic (Keras' layers draw from a shared state).
            if tf.random.stateless_uniform([], element_seed) < 0.5:
                image, labels = image[:, ::-1], labels[:, ::-1]
            image, labels = _scale_crop(
                image, labels, size, scale_range, element_seed + 2, out_size
            )
        image = tf.clip_by_value(image, 0.0, 1.0)
        return (
            tf.ensure_shape(image, (*out_size, 3)),
            tf.ensure_shape(labels[..., 0], out_size),
        )

    seeds = tf.data.Dataset.random(seed=seed).batch(2)
    dataset = tf.data.Dataset.zip((dataset, seeds))
    dataset = dataset.map(
        lambda pair, s: load(pair[0], pair[1], tf.cast(s, tf.int32)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def triplet_dataset(
    data: dict[str, Any] | str | Path | Iterable[InshopRecord | Mapping[str, Any]],
    labels: str = "item_id",
    p: int = 8,
    k: int = 4,
    image_size: Size | None = None,
    repeat: bool = True,
    seed: int = 0,
    map_fn: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None = None,
) -> "tf.data.Dataset":
    """A `tf.data.Dataset` of P x K batches `(images, labels)`.

    Args:
        data: a dict of arrays (`images` plus the label key, as from
            `make_pattern_garments`), a list of records with `image_path`,
            or a folder read with `load_inshop`.
        labels: the key (or record field) holding each example's label, for
            example `"item_id"` (same product) or `"pattern"` (same family).
        p: labels per batch.
        k: examples per label.
        image_size: `(height, width)` to resize to (required for files of
            different sizes).
        repeat: repeat epochs forever (use with `steps_per_epoch`).
        seed: sampling seed.
        map_fn: optional function `(image, label) -> (image, label)` applied
            to each example (augmentation).

    Returns:
        A `tf.data.Dataset` of float32 images in [0, 1] `(p * k, H, W, 3)` and
        integer labels `(p * k,)`.
    """
    if isinstance(data, dict):
        images = np.asarray(data["images"])
        values = np.asarray(data[labels])
    else:
        records = load_inshop(data) if isinstance(data, (str, Path)) else list(data)
        images = np.array([r["image_path"] for r in records])
        values = np.array([r[labels] for r in records])
    from_files = images.dtype.kind in "US"
    if from_files and image_size is None:
        raise ValueError('"image_size" is required when images are read from files.')
    return pk_dataset(
        images,
        values,
        p,
        k,
        decode=_decode_image if from_files else None,
        image_size=image_size,
        repeat=repeat,
        seed=seed,
        map_fn=map_fn,
    )
