"""Layers of the pattern embedder: input scaling and generalised-mean pooling."""

from typing import Any

import keras
from keras import ops

from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor


@keras.saving.register_keras_serializable(package="keras_patterns")
class ImageRangeScaling(keras.layers.Layer):
    """Maps images in [0, 255] or [0, 1] to [0, 1], per image.

    Keras casts every input to float32 before a layer sees it, so the dtype
    of the caller's array is lost; the range is told by the values instead:
    an image whose largest value exceeds 1 is taken as 0-255 and divided by
    255. (A uint8 image whose pixels are all 0 or 1 is nearly black either
    way.) This lets a saved embedder take uint8 or [0, 1] images.
    """

    def call(self, inputs: Tensor) -> Tensor:
        x = ops.cast(inputs, self.compute_dtype)
        peak = ops.max(x, axis=(1, 2, 3), keepdims=True)
        return ops.where(peak > 1.0, x / 255.0, x)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape


@keras.saving.register_keras_serializable(package="keras_patterns")
class GeneralizedMeanPooling(keras.layers.Layer):
    """Generalised-mean (GeM) pooling over height and width.

    `(mean(x ** p)) ** (1 / p)` per channel, with `x` clamped at `epsilon`:
    `p = 1` is average pooling, large `p` approaches max pooling. With
    `trainable_p` the exponent is learned.

    Args:
        p: initial exponent (> 0).
        trainable_p: learn `p`.
        epsilon: lower clamp of the activations.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> x = np.array([[[[1.0], [3.0]]]])
    >>> round(float(kp.layers.GeneralizedMeanPooling(p=1.0)(x)[0, 0]), 4)
    2.0

    Reference:
        Radenovic et al., "Fine-tuning CNN Image Retrieval with No Human
        Annotation", TPAMI 2018 (arXiv:1711.02512).
    """

    def __init__(
        self,
        p: float = 3.0,
        trainable_p: bool = True,
        epsilon: float = 1e-6,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not p > 0:
            raise ValueError(f'"p" must be positive. Received: p={p!r}')
        self.p = float(p)
        self.trainable_p = bool(trainable_p)
        self.epsilon = float(epsilon)

    def build(self, input_shape: Shape) -> None:
        self.exponent = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(self.p),
            trainable=self.trainable_p,
            name="p",
        )

    def call(self, inputs: Tensor) -> Tensor:
        x = ops.maximum(ops.cast(inputs, "float32"), self.epsilon)
        p = ops.maximum(ops.cast(self.exponent, "float32"), 1e-3)
        pooled = ops.mean(ops.power(x, p), axis=(1, 2))
        return ops.cast(ops.power(pooled, 1.0 / p), self.compute_dtype)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"p": self.p, "trainable_p": self.trainable_p, "epsilon": self.epsilon}
        )
        return config
