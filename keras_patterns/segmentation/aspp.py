"""Atrous Spatial Pyramid Pooling, the context module of DeepLabV3 / V3+."""

from typing import Any

import keras
from keras import ops

from keras_patterns.segmentation.deeplab_v3_plus_layers import apply_block
from keras_patterns.segmentation.deeplab_v3_plus_layers import conv_bn_relu
from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_int


def atrous_conv(inputs: Tensor, kernel: Tensor, rate: int) -> Tensor:
    """A 3x3 "same" convolution dilated by `rate`, skipping taps that only see padding.

    When the rate reaches the feature map's height (or width), the outer
    kernel rows (or columns) only ever multiply zero padding, so they are
    dropped: the result is identical and TensorFlow avoids its slow
    space-to-batch path for large rates on small maps (rates 12 and 18 on
    the 8x6 maps of a 128x96 input). Sizes must be static to decide; with
    unknown sizes the full dilated convolution runs.

    Args:
        inputs: feature maps `(batch, H, W, C)`.
        kernel: the `(3, 3, C, filters)` kernel of a `Conv2D`.
        rate: the dilation rate, a positive int.

    Returns:
        The convolved feature maps `(batch, H, W, filters)`, without bias.
    """
    height, width = inputs.shape[1], inputs.shape[2]
    # An int, not only "not None": JAX's export traces symbolic sizes.
    rows = slice(1, 2) if isinstance(height, int) and rate >= height else slice(0, 3)
    cols = slice(1, 2) if isinstance(width, int) and rate >= width else slice(0, 3)
    return ops.conv(inputs, kernel[rows, cols], padding="same", dilation_rate=rate)


@keras.saving.register_keras_serializable(package="keras_patterns")
class AtrousSpatialPyramidPooling(keras.layers.Layer):
    """Atrous Spatial Pyramid Pooling (ASPP) of DeepLabV3 and DeepLabV3+.

    Looks at the same feature map at several scales at once: a 1x1
    convolution, one 3x3 atrous (dilated) convolution per rate, and an
    image-pooling branch (global average, 1x1 convolution, broadcast back to
    the input's height and width, which may be unknown). The branches are
    concatenated and projected by a 1x1 convolution with batch
    normalisation, ReLU and dropout. Every convolution is followed by batch
    normalisation and ReLU.

    The rates should follow the encoder's output stride: (6, 12, 18) at 16,
    (12, 24, 36) at 8.

    Args:
        filters: channels of every branch and of the output.
        rates: dilation rates of the 3x3 branches, positive ints.
        dropout: dropout rate after the projection.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> aspp = kp.layers.AtrousSpatialPyramidPooling(filters=32, rates=(2, 4))
    >>> tuple(aspp(np.zeros((1, 9, 7, 64), "float32")).shape)
    (1, 9, 7, 32)

    Reference:
        Chen et al., "Encoder-Decoder with Atrous Separable Convolution for
        Semantic Image Segmentation", ECCV 2018 (arXiv:1802.02611); Chen et
        al., "Rethinking Atrous Convolution for Semantic Image
        Segmentation", 2017 (arXiv:1706.05587).
    """

    def __init__(
        self,
        filters: int = 256,
        rates: tuple[int, ...] | list[int] = (6, 12, 18),
        dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        filters = check_int(filters, "filters")
        rates = tuple(rates) if isinstance(rates, (list, tuple)) else rates
        if (
            not isinstance(rates, tuple)
            or not rates
            or not all(
                isinstance(r, int) and not isinstance(r, bool) and r > 0 for r in rates
            )
        ):
            raise ValueError(
                '"rates" must be a non-empty tuple of positive ints. '
                f"Received: rates={rates!r}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(
                f'"dropout" must lie in [0, 1). Received: dropout={dropout!r}'
            )
        self.filters = filters
        self.rates = rates
        self.dropout = dropout

        # === Layers ===
        self.branches = [conv_bn_relu(filters, 1, "aspp_1x1")]
        self.branches += [conv_bn_relu(filters, 3, f"aspp_rate{r}", r) for r in rates]
        self.pooling = conv_bn_relu(filters, 1, "aspp_pool")
        self.projection = conv_bn_relu(filters, 1, "aspp_project")
        self.projection.append(keras.layers.Dropout(dropout, name="aspp_dropout"))

    def build(self, input_shape: Shape) -> None:
        for block in [*self.branches, self.pooling]:
            shape = input_shape
            for layer in block:
                layer.build(shape)
                shape = layer.compute_output_shape(shape)
        shape = (*input_shape[:-1], self.filters * (len(self.branches) + 1))
        for layer in self.projection:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        outputs = [apply_block(self.branches[0], inputs, training)]
        for rate, (conv, *rest) in zip(self.rates, self.branches[1:], strict=True):
            x = atrous_conv(inputs, conv.kernel, rate)
            outputs.append(apply_block(rest, x, training))
        pooled = ops.mean(inputs, axis=(1, 2), keepdims=True)
        pooled = apply_block(self.pooling, pooled, training)
        # Broadcast back to (H, W): works whether or not H and W are known.
        outputs.append(pooled + ops.zeros_like(outputs[0]))
        return apply_block(self.projection, ops.concatenate(outputs, axis=-1), training)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.filters)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"filters": self.filters, "rates": self.rates, "dropout": self.dropout}
        )
        return config
