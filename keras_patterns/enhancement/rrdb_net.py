"""RRDBNet: the ESRGAN generator, for x4, x2 and x1 super-resolution."""

from typing import Any

import keras

from keras_patterns.enhancement.convert import rrdbnet_from_state_dict
from keras_patterns.enhancement.rrdb_layers import RRDB
from keras_patterns.enhancement.rrdb_layers import PixelUnshuffle
from keras_patterns.enhancement.rrdb_layers import torch_conv
from keras_patterns.modeling.upsampling import BicubicUpsampling
from keras_patterns.utils.presets import PresetMixin
from keras_patterns.utils.serialization import ArgumentsConfig
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int

SCALES = (1, 2, 4)


def _lrelu(x, name):
    return keras.layers.LeakyReLU(negative_slope=0.2, name=name)(x)


@keras.saving.register_keras_serializable(package="keras_patterns")
class RRDBNet(PresetMixin, ArgumentsConfig, keras.Model):
    """The ESRGAN generator (RRDBNet): images in [0, 1] to images `scale` times larger.

    A first convolution, a trunk of `num_blocks` RRDBs, a trunk convolution
    with a global residual, two steps of nearest-neighbour x2 upsampling +
    convolution + LeakyReLU, a high-resolution convolution and a last
    convolution. Scales 2 and 1 put a pixel-unshuffle (space-to-depth by 2
    or 4) in front of the same network, as Real-ESRGAN does, so every scale
    shares one architecture and its weights convert from the official
    checkpoints. With the defaults the network has 16,697,987 parameters,
    exactly the official ESRGAN x4 model.

    Inputs are float images in [0, 1], `(batch, H, W, in_channels)`, of any
    size (a multiple of 2 for scale 2, of 4 for scale 1; `upscale` pads for
    you); outputs are `(batch, scale * H, scale * W, out_channels)`, not
    clipped.

    Args:
        scale: 4, 2 or 1.
        num_blocks: RRDBs in the trunk (23 in ESRGAN; 6 for light models).
        filters: trunk channels.
        growth: growth channels of the dense blocks.
        in_channels: input channels.
        out_channels: output channels.
        image_residual: add the bicubic upscaling of the input to the
            output (global residual learning, as in VDSR), with the last
            convolution initialised to zero: the untrained network is
            exactly bicubic and training learns only the missing detail, so
            a small network beats bicubic far sooner than one that must
            first learn the interpolation itself. Needs
            `in_channels == out_channels`. Off in ESRGAN and its checkpoints.
        **kwargs: standard `keras.Model` arguments (`name`, `dtype`).

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> net = kp.models.RRDBNet(scale=4, num_blocks=1, filters=8, growth=4)
    >>> tuple(net(np.zeros((1, 6, 5, 3), "float32")).shape)
    (1, 24, 20, 3)
    >>> kp.models.RRDBNet().count_params()
    16697987

    Reference:
        Wang et al., "ESRGAN: Enhanced Super-Resolution Generative
        Adversarial Networks", ECCV Workshops 2018 (arXiv:1809.00219);
        Wang et al., "Real-ESRGAN", ICCV Workshops 2021 (arXiv:2107.10833).
    """

    def __init__(
        self,
        scale: int = 4,
        num_blocks: int = 23,
        filters: int = 64,
        growth: int = 32,
        in_channels: int = 3,
        out_channels: int = 3,
        image_residual: bool = False,
        **kwargs: Any,
    ) -> None:
        check_choice(scale, SCALES, "scale")
        check_int(num_blocks, "num_blocks")
        check_int(filters, "filters")
        check_int(growth, "growth")
        check_int(in_channels, "in_channels")
        check_int(out_channels, "out_channels")
        if image_residual and in_channels != out_channels:
            raise ValueError(
                '"image_residual" needs as many output channels as input '
                f"channels. Received: in_channels={in_channels}, "
                f"out_channels={out_channels}"
            )

        # === Functional Model ===
        images = keras.Input(shape=(None, None, in_channels), name="images")
        x = images
        if scale < 4:
            x = PixelUnshuffle(4 // scale, name="pixel_unshuffle")(x)
        features = torch_conv(filters, name="conv_first")(x)
        x = features
        for i in range(num_blocks):
            x = RRDB(filters, growth, name=f"body_{i}")(x)
        x = torch_conv(filters, name="conv_body")(x)
        x = keras.layers.Add(name="trunk_residual")([features, x])
        for i in (1, 2):
            x = keras.layers.UpSampling2D(
                2, interpolation="nearest", name=f"upsample{i}"
            )(x)
            x = _lrelu(torch_conv(filters, name=f"conv_up{i}")(x), f"lrelu_up{i}")
        x = _lrelu(torch_conv(filters, name="conv_hr")(x), "lrelu_hr")
        x = torch_conv(
            out_channels,
            name="conv_last",
            initializer="zeros" if image_residual else None,
        )(x)
        if image_residual:
            bicubic = BicubicUpsampling(scale, name="bicubic")(images)
            x = keras.layers.Add(name="image_residual")([bicubic, x])
        outputs = keras.layers.Activation("linear", dtype="float32", name="output")(x)
        super().__init__(inputs=images, outputs=outputs, **kwargs)

        # === Config ===
        self.scale = scale
        self.num_blocks = num_blocks
        self.filters = filters
        self.growth = growth
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.image_residual = image_residual

    PRESET_TASK = "enhancer"

    def preset_fields(self) -> dict[str, Any]:
        """The architecture: `scale`, `num_blocks`, `filters`, `growth`."""
        return {
            "scale": self.scale,
            "num_blocks": self.num_blocks,
            "filters": self.filters,
            "growth": self.growth,
        }

    @property
    def input_multiple(self) -> int:
        """Input height and width must be multiples of this (pixel-unshuffle)."""
        return 4 // self.scale

    @property
    def receptive_radius(self) -> int:
        """Input pixels on each side that can influence an output pixel.

        Each RRDB stacks 15 3x3 convolutions; the first and trunk
        convolutions add one pixel each; the four convolutions after the
        upsamplings add 1/2 + 3 * 1/4 of a pixel, counted as 2. With
        pixel-unshuffle by `m`, a radius of `r` unshuffled pixels spans
        `r * m + m - 1` input pixels.
        """
        unshuffled = 1 + 15 * self.num_blocks + 1 + 2
        return unshuffled * self.input_multiple + self.input_multiple - 1

    def _arguments(self):
        return {
            "scale": self.scale,
            "num_blocks": self.num_blocks,
            "filters": self.filters,
            "growth": self.growth,
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "image_residual": self.image_residual,
        }

    @classmethod
    def from_torch_checkpoint(
        cls,
        path_or_state_dict: PathLike | dict[str, Any],
        key: str | None = None,
        **kwargs: Any,
    ) -> "RRDBNet":
        """Builds an `RRDBNet` from an official ESRGAN or BasicSR checkpoint.

        Reads ESRGAN's own naming (`conv_first`, `RRDB_trunk.N.RDB1.conv1`,
        `trunk_conv`, `upconv1`, `upconv2`, `HRconv`, `conv_last`) and
        BasicSR / Real-ESRGAN's (`body.N.rdb1.conv1`, `conv_body`,
        `conv_up1`, `conv_up2`, `conv_hr`, `conv_last`), optionally wrapped
        in `params_ema` (preferred) or `params`. The number of blocks,
        filters, growth channels and the scale (from the first convolution's
        input channels) are read from the weights.

        Args:
            path_or_state_dict: a `.pth` file (read with PyTorch,
                `weights_only=True`) or a dict of arrays.
            key: the wrapper key to read (`"params_ema"` or `"params"`);
                by default `params_ema` when present, else `params`.
            **kwargs: passed to `RRDBNet` (for example `name`).

        Returns:
            The converted `RRDBNet`.

        Raises:
            ValueError: a missing, unexpected or mis-shaped key; the message
                lists them.
        """
        return rrdbnet_from_state_dict(cls, path_or_state_dict, key=key, **kwargs)
