"""Upsampling layers by an integer factor that work with unknown sizes.

Models here must take any height and width, also when TensorFlow traces
them with unknown spatial dimensions (as `predict` does after seeing a few
sizes). `keras.layers.UpSampling2D` does for nearest neighbour (it repeats
pixels), so the models use it; its bilinear and bicubic modes, like
`keras.ops.image.resize`, need static sizes there. `BilinearUpsampling` and
`BicubicUpsampling` are hand-written for that reason: they call
`keras_patterns.utils.polyphase.upsample` (slicing and reshapes only),
equal to `tf.image.resize` without antialiasing on every backend.
DeepLabV3+ uses the bilinear one, RRDBNet the bicubic one.
`NearestUpsampling` remains, a thin `UpSampling2D`, so files that name it
still load.
"""

from typing import Any

import keras

from keras_patterns.utils.polyphase import upsample
from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_int


class IntegerUpsampling(keras.layers.Layer):
    """Base of the upsampling layers: `utils.upsampling.upsample` by
    `factor` with the subclass' `interpolation`, for inputs of any height
    and width.

    Args:
        factor: positive int, the same for height and width.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    interpolation = None

    def __init__(self, factor: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = check_int(factor, "factor")

    def call(self, inputs: Tensor) -> Tensor:
        return upsample(inputs, self.factor, self.interpolation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        def scale(d):
            return None if d is None else d * self.factor

        return (
            input_shape[0],
            scale(input_shape[1]),
            scale(input_shape[2]),
            input_shape[3],
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="keras_patterns")
class NearestUpsampling(keras.layers.UpSampling2D):
    """`keras.layers.UpSampling2D(factor, interpolation="nearest")` under its old name.

    Each pixel becomes a `factor` x `factor` block. Keras' own layer repeats
    pixels with `ops.repeat`, which needs no static size, so the models use
    it directly; this subclass only keeps the registered name
    `keras_patterns>NearestUpsampling` and its config (`factor`, or none
    for 2, as version 0.1 saved it) loadable from files saved before.

    Args:
        factor: positive int, the same for height and width.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> layer = kp.layers.NearestUpsampling()
    >>> np.asarray(layer(np.array([[[[1.0], [2.0]]]])))[0, :, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]], dtype=float32)
    """

    def __init__(self, factor: int = 2, **kwargs: Any) -> None:
        factor = check_int(factor, "factor")
        super().__init__(
            size=(factor, factor),
            data_format="channels_last",
            interpolation="nearest",
            **kwargs,
        )
        self.factor = factor

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        for key in ("size", "data_format", "interpolation"):
            config.pop(key)
        return {**config, "factor": self.factor}


@keras.saving.register_keras_serializable(package="keras_patterns")
class BilinearUpsampling(IntegerUpsampling):
    """Bilinear upsampling by an integer factor that works with unknown sizes.

    Equivalent to `keras.layers.UpSampling2D(factor, interpolation="bilinear")`
    (half-pixel centres, edges clamped), but written with slicing and
    reshapes, so TensorFlow can trace it with unknown height and width.

    Args:
        factor: positive int, the same for height and width.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> layer = kp.layers.BilinearUpsampling(2)
    >>> np.asarray(layer(np.array([[[[0.0], [1.0]]]])))[0, 0, :, 0]
    array([0.  , 0.25, 0.75, 1.  ], dtype=float32)
    """

    interpolation = "bilinear"


@keras.saving.register_keras_serializable(package="keras_patterns")
class BicubicUpsampling(IntegerUpsampling):
    """Bicubic upsampling by an integer `factor` that works with unknown sizes.

    `tf.image.resize(..., method="bicubic")` (Keys' kernel with a = -0.5,
    half-pixel centres, the weights of taps outside the image dropped and
    the rest renormalised) on every backend, written with slicing and
    reshapes (see `utils.upsampling.upsample`). Equal to TensorFlow's to float
    precision for factors 2 and 4; within 1e-3 for others, where
    TensorFlow reads its kernel from a table.

    Args:
        factor: positive int, the same for height and width.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> ramp = np.array([[[[0.0], [1.0], [2.0], [3.0]]]])
    >>> np.asarray(kp.layers.BicubicUpsampling(2)(ramp))[0, 0, :, 0].round(4)
    array([-0.0882,  0.1679,  0.7099,  1.25  ,  1.75  ,  2.2901,  2.8321,
            3.0882], dtype=float32)
    """

    interpolation = "bicubic"
