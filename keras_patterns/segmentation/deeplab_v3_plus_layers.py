"""Helper layers and blocks of DeepLabV3+ and its ASPP module.

The model takes any height and width, also when TensorFlow traces it with
unknown spatial dimensions, so it pads its input to a multiple of the
output stride (`PadToMultiple`) and crops the logits back
(`CropToReference`). Its upsampling (`BilinearUpsampling`) and input
preprocessing (`BackbonePreprocessing`) layers are shared with other
stages and live in `keras_patterns.modeling`.
"""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_int


def conv_bn_relu(
    filters: int,
    kernel_size: int | tuple[int, int],
    name: str,
    dilation_rate: int | tuple[int, int] = 1,
) -> list[keras.layers.Layer]:
    """DeepLab's convolution block, as a list of layers to `apply_block`.

    A "same" convolution without bias (He-normal), batch normalisation and
    ReLU, named `{name}_conv`, `{name}_bn` and `{name}_relu`.

    Args:
        filters: output channels of the convolution.
        kernel_size: int or `(h, w)`, the convolution's kernel size.
        name: prefix of the layers' names.
        dilation_rate: int or `(h, w)`, the convolution's dilation rate.

    Returns:
        A list of the three layers, in order.
    """
    return [
        keras.layers.Conv2D(
            filters,
            kernel_size,
            padding="same",
            dilation_rate=dilation_rate,
            use_bias=False,
            kernel_initializer="he_normal",
            name=f"{name}_conv",
        ),
        keras.layers.BatchNormalization(name=f"{name}_bn"),
        keras.layers.ReLU(name=f"{name}_relu"),
    ]


def apply_block(
    block: Sequence[keras.layers.Layer], x: Tensor, training: bool | None = None
) -> Tensor:
    """Runs `x` through the layers of `block` in order.

    Args:
        block: layers, such as those of `conv_bn_relu`.
        x: the input tensor.
        training: passed to every layer that takes it (batch normalisation,
            dropout); `None` lets Keras decide.

    Returns:
        The output of the last layer.
    """
    for layer in block:
        x = layer(x, training=training)  # Keras drops `training` where unused.
    return x


@keras.saving.register_keras_serializable(package="keras_patterns")
class PadToMultiple(keras.layers.Layer):
    """Zero-pads height and width at the bottom and right to a multiple.

    Args:
        multiple: positive int.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    def __init__(self, multiple: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiple = check_int(multiple, "multiple")

    def call(self, inputs: Tensor) -> Tensor:
        shape, m = ops.shape(inputs), self.multiple
        # The padded size written as a multiple of `m`, which JAX's symbolic
        # shapes (SavedModel export with unknown sizes) can then prove.
        height, width = (shape[1] + m - 1) // m * m, (shape[2] + m - 1) // m * m
        padded = ops.pad(
            inputs, [[0, 0], [0, height - shape[1]], [0, width - shape[2]], [0, 0]]
        )
        # TensorFlow's pad with computed paddings forgets the channel count;
        # without it LiteRT cannot convert the next convolution.
        channels = inputs.shape[-1] if inputs.shape[-1] is not None else shape[3]
        return ops.reshape(padded, (-1, height, width, channels))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        def pad(d):
            return None if d is None else d + (-d) % self.multiple

        return (
            input_shape[0],
            pad(input_shape[1]),
            pad(input_shape[2]),
            input_shape[3],
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"multiple": self.multiple})
        return config


@keras.saving.register_keras_serializable(package="keras_patterns")
class CropToReference(keras.layers.Layer):
    """Crops the top-left `(H, W)` of `inputs`, taking `H, W` from `reference`.

    Args:
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: the tensor to crop, `(batch, H', W', C)` with `H' >= H` and
            `W' >= W`.
        reference: a tensor `(batch, H, W, ...)` whose height and width the
            output takes.
    """

    def call(self, inputs: Tensor, reference: Tensor) -> Tensor:
        shape = ops.shape(reference)
        return inputs[:, : shape[1], : shape[2]]

    def compute_output_shape(
        self, inputs_shape: Shape, reference_shape: Shape
    ) -> Shape:
        return (
            inputs_shape[0],
            reference_shape[1],
            reference_shape[2],
            inputs_shape[3],
        )
