"""The `L2Normalize` layer: the unit-sphere head of embedding models."""

from typing import Any

import keras
from keras import ops

from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor


@keras.saving.register_keras_serializable(package="keras_patterns")
class L2Normalize(keras.layers.Layer):
    """Scales vectors to unit L2 norm along an axis.

    Embeddings trained with triplet losses live on the unit sphere, where
    squared Euclidean distance and cosine similarity agree
    (`|a - b|^2 = 2 - 2 cos(a, b)`). The norm is computed in float32 even
    under mixed precision, and `epsilon` keeps an all-zero vector finite
    (it stays zero instead of becoming NaN).

    Args:
        axis: the axis (or tuple of axes) to normalise over.
        epsilon: lower bound of the squared norm.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> layer = kp.layers.L2Normalize()
    >>> np.round(np.asarray(layer(np.array([[3.0, 4.0]]))), 3)
    array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(
        self,
        axis: int | tuple[int, ...] | list[int] = -1,
        epsilon: float = 1e-12,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, list):
            axis = tuple(axis)
        if not isinstance(axis, (int, tuple)) or isinstance(axis, bool):
            raise ValueError(
                f'"axis" must be an int or a tuple of ints. Received: axis={axis!r}'
            )
        if not epsilon > 0:
            raise ValueError(
                f'"epsilon" must be positive. Received: epsilon={epsilon!r}'
            )
        self.axis = axis
        self.epsilon = float(epsilon)
        self.supports_masking = True

    def call(self, inputs: Tensor) -> Tensor:
        x = ops.cast(inputs, "float32")
        squared = ops.sum(ops.square(x), axis=self.axis, keepdims=True)
        x = x * ops.rsqrt(ops.maximum(squared, self.epsilon))
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config
