"""Random image layers Keras does not ship, for `pattern_augmentation`.

Keras 3's preprocessing layers (`RandomFlip`, `RandomZoom`,
`RandomColorJitter`, `RandomGrayscale`, `RandomInvert`,
`RandomGaussianBlur`, ...) do the rest. These four complete them: channel
shuffles, quarter turns (`RandomRotation` interpolates and fills corners;
a quarter turn of a square is exact), per-image Gaussian noise
(`keras.layers.GaussianNoise` draws one strength for all and is no
`tf.data` layer) and JPEG artefacts. Like Keras' own, they take whole
batches (or single images), draw per image from a `seed`, act only when
called with `training=True` (the default), and run inside `tf.data` on
every backend: they build on Keras' `DataLayer`, which switches to
TensorFlow ops inside a `tf.data` graph. JPEG needs TensorFlow's codec on
every backend.
"""

from typing import Any

import keras

from keras_patterns.utils.lazy_tensorflow import tf
from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor

try:
    from keras.src.layers.preprocessing.data_layer import DataLayer
except ImportError:  # Keras < 3.12 calls it TFDataLayer
    from keras.src.layers.preprocessing.tf_data_layer import TFDataLayer as DataLayer


def _check_probability(factor, name="factor"):
    if isinstance(factor, bool) or not isinstance(factor, (int, float)):
        factor = None
    if factor is None or not 0.0 <= factor <= 1.0:
        raise ValueError(
            f'"{name}" must be a probability in [0, 1]. Received: {name}={factor!r}'
        )
    return float(factor)


def _check_range(values, name, low=None, high=None):
    ok = isinstance(values, (tuple, list)) and len(values) == 2
    ok = ok and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    )
    ok = ok and values[0] <= values[1]
    ok = (
        ok and (low is None or values[0] >= low) and (high is None or values[1] <= high)
    )
    if not ok:
        bounds = f" within [{low}, {high}]" if low is not None else ""
        raise ValueError(
            f'"{name}" must be (low, high) with low <= high{bounds}. '
            f"Received: {name}={values!r}"
        )
    return tuple(values)


class RandomImageLayer(DataLayer):
    """Base of the layers here: a seed, per-image draws, batches or single images.

    Subclasses implement `augment(images, seed)` on a batch `(N, H, W, C)`
    with `self.backend` ops (TensorFlow inside `tf.data`, else the Keras
    backend), drawing their random numbers with `seed`.

    Args:
        seed: int seed of the draws, or `None` for a random one.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True

    def call(self, images: Tensor, training: bool = True) -> Tensor:
        images = self.backend.cast(images, self.compute_dtype)
        if not training:
            return images
        single = len(images.shape) == 3
        if single:
            images = self.backend.numpy.expand_dims(images, 0)
        outputs = self.augment(images, self._get_seed_generator(self.backend._backend))
        return self.backend.numpy.squeeze(outputs, 0) if single else outputs

    def augment(self, images: Tensor, seed: Any) -> Tensor:
        """The abstract hook: augments a batch `(N, H, W, C)` drawing with `seed`.

        Each subclass defines it; `call` handles single images, dtypes and
        `training=False`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define augment(images, seed)"
        )

    def _batch(self, images):
        return self.backend.shape(images)[0]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="keras_patterns")
class RandomChannelShuffle(RandomImageLayer):
    """Permutes the colour channels of each image at random, with a probability.

    With probability `factor` an image's channels are put in a random order
    (each order equally likely); otherwise it is unchanged. Pixel values
    are moved, never changed.

    Args:
        factor: probability of shuffling an image.
        seed: int seed of the draws, or `None`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.embedding.augmentation_layers import (
    ...     RandomChannelShuffle)
    >>> image = np.array([[[1.0, 2.0, 3.0]]], "float32")
    >>> out = np.asarray(RandomChannelShuffle(1.0, seed=0)(image))
    >>> sorted(out.ravel().tolist())  # the same values, in another order
    [1.0, 2.0, 3.0]
    """

    def __init__(
        self, factor: float = 0.5, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.factor = _check_probability(factor)

    def augment(self, images: Tensor, seed: Any) -> Tensor:
        ops = self.backend
        channels = images.shape[-1]
        batch = self._batch(images)
        order = ops.numpy.argsort(ops.random.uniform((batch, channels), seed=seed), -1)
        shuffle = ops.random.uniform((batch, 1), seed=seed) < self.factor
        order = ops.numpy.where(shuffle, order, ops.numpy.arange(channels)[None])
        # Output channel d takes input channel order[d]: a 0/1 matrix, exact.
        moves = ops.nn.one_hot(order, channels, dtype=images.dtype)
        return ops.numpy.einsum("bhwc,bdc->bhwd", images, moves)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="keras_patterns")
class RandomQuarterTurn(RandomImageLayer):
    """Turns each square image by 0, 90, 180 or 270 degrees, equally likely.

    Exact (pixels move, none is interpolated), unlike
    `keras.layers.RandomRotation`; the turn is counter-clockwise, as
    `np.rot90`. Images must be square.

    Args:
        seed: int seed of the draws, or `None`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Raises:
        ValueError: at call, if the images are not square.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.embedding.augmentation_layers import RandomQuarterTurn
    >>> image = np.arange(4, dtype="float32").reshape(2, 2, 1)
    >>> turned = np.asarray(RandomQuarterTurn(seed=0)(image))
    >>> any(np.array_equal(turned, np.rot90(image, k)) for k in range(4))
    True
    """

    def augment(self, images: Tensor, seed: Any) -> Tensor:
        ops = self.backend
        height, width = images.shape[1], images.shape[2]
        if height is None or height != width:
            raise ValueError(
                '"images" must be square with a known size for quarter turns. '
                f"Received shape {tuple(images.shape)}"
            )
        turns = ops.random.randint((self._batch(images), 1, 1, 1), 0, 4, seed=seed)

        def turn(x):  # np.rot90 over the height and width axes
            return ops.numpy.flip(ops.numpy.transpose(x, (0, 2, 1, 3)), axis=1)

        turned, outputs = images, images
        for k in (1, 2, 3):
            turned = turn(turned)
            outputs = ops.numpy.where(turns == k, turned, outputs)
        return outputs


@keras.saving.register_keras_serializable(package="keras_patterns")
class RandomGaussianNoise(RandomImageLayer):
    """Adds Gaussian noise of a random strength per image, then clips.

    Each image draws its standard deviation uniformly from `stddev` (in
    units of the values), adds that much noise to every value and clips to
    `value_range`, as a camera sensor's noise varies between photographs.

    Args:
        stddev: `(low, high)` range of the per-image standard deviation.
        value_range: `(low, high)` of the image values, clipped to.
        seed: int seed of the draws, or `None`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.embedding.augmentation_layers import RandomGaussianNoise
    >>> images = np.full((2, 8, 8, 3), 0.5, "float32")
    >>> noisy = np.asarray(RandomGaussianNoise((0.05, 0.1), seed=0)(images))
    >>> bool(0.0 < noisy.std() < 0.2), bool(noisy.min() >= 0 and noisy.max() <= 1)
    (True, True)
    """

    def __init__(
        self,
        stddev: tuple[float, float] = (0.0, 0.03),
        value_range: tuple[float, float] = (0.0, 1.0),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.stddev = _check_range(stddev, "stddev", low=0.0)
        self.value_range = _check_range(value_range, "value_range")

    def augment(self, images: Tensor, seed: Any) -> Tensor:
        ops = self.backend
        low, high = self.stddev
        sigma = ops.random.uniform((self._batch(images), 1, 1, 1), low, high, seed=seed)
        noise = ops.random.normal(ops.shape(images), seed=seed, dtype=images.dtype)
        noisy = images + ops.cast(sigma, images.dtype) * noise
        return ops.numpy.clip(noisy, *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "stddev": self.stddev,
            "value_range": self.value_range,
        }


@keras.saving.register_keras_serializable(package="keras_patterns")
class RandomJpegQuality(RandomImageLayer):
    """Compresses images as JPEG at a random quality, with a probability.

    With probability `factor` an image is encoded as JPEG at a quality drawn
    uniformly from `quality` (inclusive) and decoded again, which adds the
    block and ringing artefacts of web photographs. Images are float in
    [0, 1], RGB or grey. TensorFlow's codec does the work on every backend
    (outside `tf.data` on JAX or PyTorch, through NumPy), so the layer
    cannot run inside a compiled JAX or PyTorch function.

    Args:
        factor: probability of compressing an image.
        quality: `(low, high)` JPEG quality range, within [1, 100].
        seed: int seed of the draws, or `None`.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.embedding.augmentation_layers import RandomJpegQuality
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((1, 16, 16, 3), dtype=np.float32)
    >>> out = np.asarray(RandomJpegQuality(1.0, (10, 10), seed=0)(images))
    >>> out.shape, bool(np.abs(out - images).mean() > 0.01)  # artefacts added
    ((1, 16, 16, 3), True)
    """

    def __init__(
        self,
        factor: float = 0.3,
        quality: tuple[int, int] = (40, 95),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.factor = _check_probability(factor)
        self.quality = _check_range(quality, "quality", low=1, high=100)
        if not all(isinstance(q, int) for q in self.quality):
            raise ValueError(
                f'"quality" must be two ints. Received: quality={quality!r}'
            )

    def augment(self, images: Tensor, seed: Any) -> Tensor:
        ops = self.backend
        batch = self._batch(images)
        low, high = self.quality
        apply = ops.random.uniform((batch,), seed=seed) < self.factor
        quality = ops.random.randint((batch,), low, high + 1, seed=seed)
        native = not tf.is_tensor(images)
        if native:  # JAX or PyTorch arrays, outside tf.data
            images, apply, quality = (
                tf.constant(keras.ops.convert_to_numpy(v))
                for v in (images, apply, quality)
            )

        def compress(args):
            image, compressed, q = args
            return tf.cond(
                compressed,
                lambda: tf.image.adjust_jpeg_quality(image, q),
                lambda: image,
            )

        outputs = tf.map_fn(
            compress,
            (images, apply, tf.cast(quality, tf.int32)),
            fn_output_signature=images.dtype,
        )
        return ops.convert_to_tensor(outputs.numpy()) if native else outputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "quality": self.quality}
