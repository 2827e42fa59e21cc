"""The VGG-style discriminator of ESRGAN (BasicSR's `VGGStyleDiscriminator`)."""

from typing import Any

import keras

from keras_patterns.enhancement.rrdb_layers import torch_conv
from keras_patterns.utils.serialization import ArgumentsConfig
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int


def _conv_bn_lrelu(x, filters, kernel, strides, name, bias=False):
    """A convolution, batch normalisation (skipped with `bias`) and LeakyReLU."""
    x = torch_conv(filters, kernel, name, strides=strides, use_bias=bias)(x)
    if not bias:
        x = keras.layers.BatchNormalization(
            momentum=0.9, epsilon=1e-5, name=f"{name}_bn"
        )(x)
    return keras.layers.LeakyReLU(negative_slope=0.2, name=f"{name}_lrelu")(x)


@keras.saving.register_keras_serializable(package="keras_patterns")
class VGGStyleDiscriminator(ArgumentsConfig, keras.Model):
    """VGG-style discriminator of ESRGAN: an image to one real/fake logit.

    Five stages of a 3x3 convolution and a 4x4 stride-2 convolution (64,
    128, 256, 512, 512 channels for `filters=64`), each followed by batch
    normalisation (except the very first convolution) and LeakyReLU(0.2),
    then two dense layers (100 units, then 1). The input side must equal
    `input_size` (128 in ESRGAN, or 256 with one more stage).

    Args:
        input_size: 128 or 256, the side of the square input images.
        filters: channels of the first stage.
        in_channels: image channels.
        **kwargs: standard `keras.Model` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> d = kp.models.VGGStyleDiscriminator(input_size=128, filters=8)
    >>> tuple(d(np.zeros((2, 128, 128, 3), "float32")).shape)
    (2, 1)

    Reference:
        Wang et al., "ESRGAN: Enhanced Super-Resolution Generative
        Adversarial Networks", ECCV Workshops 2018 (arXiv:1809.00219).
    """

    def __init__(
        self,
        input_size: int = 128,
        filters: int = 64,
        in_channels: int = 3,
        **kwargs: Any,
    ) -> None:
        check_choice(input_size, (128, 256), "input_size")
        check_int(filters, "filters")
        check_int(in_channels, "in_channels")

        # === Functional Model ===
        images = keras.Input((input_size, input_size, in_channels), name="images")
        x = _conv_bn_lrelu(images, filters, 3, 1, "conv0_0", bias=True)
        x = _conv_bn_lrelu(x, filters, 4, 2, "conv0_1")
        widths = [2, 4, 8, 8] + ([8] if input_size == 256 else [])
        for stage, width in enumerate(widths, start=1):
            x = _conv_bn_lrelu(x, filters * width, 3, 1, f"conv{stage}_0")
            x = _conv_bn_lrelu(x, filters * width, 4, 2, f"conv{stage}_1")
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(100, name="linear1")(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2, name="linear1_lrelu")(x)
        x = keras.layers.Dense(1, name="linear2")(x)
        logits = keras.layers.Activation("linear", dtype="float32", name="logits")(x)
        super().__init__(inputs=images, outputs=logits, **kwargs)

        # === Config ===
        self.input_size = input_size
        self.filters = filters
        self.in_channels = in_channels

    def _arguments(self):
        return {
            "input_size": self.input_size,
            "filters": self.filters,
            "in_channels": self.in_channels,
        }
