"""The building blocks of ESRGAN's generator: dense blocks and RRDB.

Initialisation follows BasicSR: convolutions inside dense blocks start from
Kaiming-normal weights scaled by 0.1 (so each residual branch starts near
zero and deep trunks of 23 blocks train), biases from zero.
"""

from typing import Any

import keras
from keras import ops

from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_int


def scaled_kaiming(scale: float = 0.1) -> keras.initializers.Initializer:
    """Kaiming-normal initialisation (fan-in, ReLU gain) multiplied by `scale`.

    Args:
        scale: factor on the standard deviation of the weights.

    Returns:
        A `keras.initializers.VarianceScaling` initialiser.
    """
    return keras.initializers.VarianceScaling(
        scale=2.0 * scale**2, mode="fan_in", distribution="untruncated_normal"
    )


def torch_default_init() -> keras.initializers.Initializer:
    """PyTorch's default `Conv2d` initialisation (Kaiming-uniform, a = sqrt(5)).

    Returns:
        A `keras.initializers.VarianceScaling` initialiser.
    """
    return keras.initializers.VarianceScaling(
        scale=1.0 / 3.0, mode="fan_in", distribution="uniform"
    )


def torch_conv(
    filters: int,
    kernel_size: int | tuple[int, int] = 3,
    name: str | None = None,
    strides: int | tuple[int, int] = 1,
    use_bias: bool = True,
    initializer: str | keras.initializers.Initializer | None = None,
) -> keras.layers.Conv2D:
    """A "same" `Conv2D` as ESRGAN's networks make it.

    Its kernel starts as PyTorch's `nn.Conv2d` does (`torch_default_init`)
    unless `initializer` is given, so networks trained from scratch here
    start where the official code starts.

    Args:
        filters: output channels.
        kernel_size: side of the kernel, or its `(height, width)`.
        name: name of the layer.
        strides: stride of the convolution, or its `(height, width)`.
        use_bias: add a bias.
        initializer: kernel initialiser (a `keras.initializers` name or
            object); by default `torch_default_init()`.

    Returns:
        An unbuilt `keras.layers.Conv2D`.
    """
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=initializer or torch_default_init(),
        name=name,
    )


class _DenseBlockBase(keras.layers.Layer):
    """What RDB and RRDB share: their three arguments, checked and saved, and
    the shape they keep. A subclass builds its sub-layers in `_make_layers`."""

    def __init__(
        self,
        filters: int = 64,
        growth: int = 32,
        residual_scale: float = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = check_int(filters, "filters")
        self.growth = check_int(growth, "growth")
        self.residual_scale = float(residual_scale)
        self._make_layers()

    def _make_layers(self) -> None:
        """Builds a subclass' sub-layers from the stored arguments."""

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "growth": self.growth,
                "residual_scale": self.residual_scale,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_patterns")
class ResidualDenseBlock(_DenseBlockBase):
    """Residual dense block (RDB) of ESRGAN: five densely connected convolutions.

    Convolution `k` (3x3) sees the block input and the outputs of all
    earlier convolutions; the first four produce `growth` channels followed
    by LeakyReLU(0.2), the fifth produces `filters` channels. The block
    returns `input + residual_scale * conv5`.

    Args:
        filters: channels of the input and output.
        growth: channels added by each of the first four convolutions.
        residual_scale: scale of the residual branch.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> block = kp.layers.ResidualDenseBlock(filters=8, growth=4)
    >>> tuple(block(np.zeros((1, 5, 5, 8), "float32")).shape)
    (1, 5, 5, 8)

    Reference:
        Wang et al., "ESRGAN: Enhanced Super-Resolution Generative
        Adversarial Networks", ECCV Workshops 2018 (arXiv:1809.00219).
    """

    def _make_layers(self) -> None:
        self.convs = [
            torch_conv(
                self.growth if i < 5 else self.filters,
                name=f"conv{i}",
                initializer=scaled_kaiming(0.1),
            )
            for i in range(1, 6)
        ]

    def build(self, input_shape: Shape) -> None:
        if input_shape[-1] != self.filters:
            raise ValueError(
                f"ResidualDenseBlock(filters={self.filters}) needs {self.filters} "
                f"input channels. Received input shape {input_shape}"
            )
        channels = self.filters
        for conv in self.convs:
            conv.build((*input_shape[:-1], channels))
            channels += self.growth

    def call(self, inputs: Tensor) -> Tensor:
        features = [inputs]
        for conv in self.convs[:4]:
            x = conv(ops.concatenate(features, axis=-1))
            features.append(ops.leaky_relu(x, negative_slope=0.2))
        x = self.convs[4](ops.concatenate(features, axis=-1))
        return inputs + x * self.residual_scale


@keras.saving.register_keras_serializable(package="keras_patterns")
class RRDB(_DenseBlockBase):
    """Residual-in-residual dense block: three RDBs inside one more residual.

    Returns `input + residual_scale * rdb3(rdb2(rdb1(input)))`.

    Args:
        filters: channels of the input and output.
        growth: growth channels of each dense block.
        residual_scale: scale of the outer residual (and of each RDB's).
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> block = kp.layers.RRDB(filters=8, growth=4)
    >>> tuple(block(np.zeros((2, 6, 6, 8), "float32")).shape)
    (2, 6, 6, 8)

    Reference:
        Wang et al., "ESRGAN: Enhanced Super-Resolution Generative
        Adversarial Networks", ECCV Workshops 2018 (arXiv:1809.00219).
    """

    def _make_layers(self) -> None:
        self.blocks = [
            ResidualDenseBlock(
                self.filters, self.growth, self.residual_scale, name=f"rdb{i}"
            )
            for i in range(1, 4)
        ]

    def build(self, input_shape: Shape) -> None:
        for block in self.blocks:
            block.build(input_shape)

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs
        for block in self.blocks:
            x = block(x)
        return inputs + x * self.residual_scale


@keras.saving.register_keras_serializable(package="keras_patterns")
class PixelUnshuffle(keras.layers.Layer):
    """Space-to-depth: `(N, H, W, C)` to `(N, H/s, W/s, s*s*C)`.

    Output channel `(i * s + j) * C + c` holds input pixel `(s*y + i, s*x + j)`
    of channel `c`, TensorFlow's `space_to_depth` order (PyTorch's
    `pixel_unshuffle` orders channels `c * s * s + i * s + j`; the checkpoint
    converter permutes weights accordingly). Height and width must be
    multiples of `scale`.

    Args:
        scale: the block size `s`.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    def __init__(self, scale: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = check_int(scale, "scale")

    def call(self, inputs: Tensor) -> Tensor:
        s = self.scale
        shape = ops.shape(inputs)
        height, width, channels = shape[1], shape[2], inputs.shape[-1]
        x = ops.reshape(inputs, (-1, height // s, s, width // s, s, channels))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, height // s, width // s, s * s * channels))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        def shrink(d):
            return None if d is None else d // self.scale

        return (
            input_shape[0],
            shrink(input_shape[1]),
            shrink(input_shape[2]),
            input_shape[3] * self.scale**2,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"scale": self.scale})
        return config
