"""Backbone input ranges, as a layer that lives inside the model."""

from typing import Any

import keras
from keras import ops

from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_choice

PREPROCESSING_MODES = ("caffe", "tf", "torch", "scale255", "none")


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

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> layer = kp.layers.BackbonePreprocessing("tf")
    >>> np.asarray(layer(np.array([[[[0.0, 0.5, 1.0]]]])))[0, 0, 0]
    array([-1.,  0.,  1.], dtype=float32)
    """

    def __init__(self, mode: str = "tf", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode = check_choice(mode, PREPROCESSING_MODES, "mode")

    def call(self, inputs: Tensor) -> Tensor:
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

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"mode": self.mode})
        return config
