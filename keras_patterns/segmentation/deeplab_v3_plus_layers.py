"""Shape-agnostic helper layers of DeepLabV3+.

The model must take any height and width, also when TensorFlow traces it
with unknown spatial dimensions (as `predict` does after seeing a few
sizes), so upsampling by an integer factor uses `utils.upsampling`
(slicing and reshapes only): exact bilinear interpolation with half-pixel
centres, identical to `tf.image.resize` / `jax.image.resize`, on every
backend.
"""

import keras
from keras import ops

from keras_patterns.utils.upsampling import IntegerUpsampling
from keras_patterns.utils.validation import check_int

PREPROCESSING_MODES = ("caffe", "tf", "torch", "scale255", "none")


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
class PadToMultiple(keras.layers.Layer):
    """Zero-pads height and width at the bottom and right to a multiple.

    Args:
        multiple: positive int.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    def __init__(self, multiple, **kwargs):
        super().__init__(**kwargs)
        self.multiple = check_int(multiple, "multiple")

    def call(self, inputs):
        shape = ops.shape(inputs)
        pad_h = (self.multiple - shape[1] % self.multiple) % self.multiple
        pad_w = (self.multiple - shape[2] % self.multiple) % self.multiple
        return ops.pad(inputs, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]])

    def compute_output_shape(self, input_shape):
        def pad(d):
            return None if d is None else d + (-d) % self.multiple

        return (
            input_shape[0],
            pad(input_shape[1]),
            pad(input_shape[2]),
            input_shape[3],
        )

    def get_config(self):
        config = super().get_config()
        config.update({"multiple": self.multiple})
        return config


@keras.saving.register_keras_serializable(package="keras_patterns")
class CropToReference(keras.layers.Layer):
    """Crops the top-left `(H, W)` of `inputs`, taking `H, W` from `reference`."""

    def call(self, inputs, reference):
        shape = ops.shape(reference)
        return inputs[:, : shape[1], : shape[2]]

    def compute_output_shape(self, inputs_shape, reference_shape):
        return (
            inputs_shape[0],
            reference_shape[1],
            reference_shape[2],
            inputs_shape[3],
        )


@keras.saving.register_keras_serializable(package="keras_patterns")
class BackbonePreprocessing(keras.layers.Layer):
    """Maps images in [0, 1] to the input range a backbone was trained with.

    Living inside the model, it makes a saved model self-contained: callers
    always feed float images in [0, 1].

    Args:
        mode: `"caffe"` (ResNet: BGR, 0-255, ImageNet means subtracted),
            `"tf"` (MobileNet: [-1, 1]), `"torch"` (ImageNet mean and
            standard deviation), `"scale255"` (EfficientNet, which
            normalises inside: 0-255) or `"none"`.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    def __init__(self, mode="tf", **kwargs):
        super().__init__(**kwargs)
        if mode not in PREPROCESSING_MODES:
            raise ValueError(
                f'"mode" must be one of {PREPROCESSING_MODES}. Received: mode={mode!r}'
            )
        self.mode = mode

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.mode == "caffe":
            x = ops.flip(x, axis=-1) * 255.0
            return x - ops.convert_to_tensor([103.939, 116.779, 123.68], x.dtype)
        if self.mode == "tf":
            return x * 2.0 - 1.0
        if self.mode == "scale255":
            return x * 255.0
        if self.mode == "torch":
            mean = ops.convert_to_tensor([0.485, 0.456, 0.406], x.dtype)
            std = ops.convert_to_tensor([0.229, 0.224, 0.225], x.dtype)
            return (x - mean) / std
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode})
        return config
