"""Backbone input ranges, as a layer that lives inside the model.

A model's `preprocessing` argument is a mode name (`"caffe"`, `"tf"`,
`"torch"`, `"scale255"`, `"none"`) or, for a KerasHub backbone, that
backbone's own image converter: a `keras_hub.layers.ImageConverter` (or a
preprocessor holding one) or its `{"scale": ..., "offset": ...}`, which map
0-255 pixels to the backbone's range. `preprocessing_spec` turns any of
these into what a config stores and `preprocessing_layer` into the layer.
"""

import logging
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_choice

PREPROCESSING_MODES = ("caffe", "tf", "torch", "scale255", "none", "affine")
NAMED_MODES = PREPROCESSING_MODES[:-1]


def _channel_values(value, name, default):
    """A float, or a list of per-channel floats; all finite."""
    if value is None:
        return default
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        array = np.asarray([np.nan])
    if array.ndim > 1 or array.size == 0 or not np.isfinite(array).all():
        raise ValueError(
            f'"{name}" must be a finite float or a list of per-channel floats. '
            f"Received: {name}={value!r}"
        )
    return array.tolist()


@keras.saving.register_keras_serializable(package="keras_patterns")
class BackbonePreprocessing(keras.layers.Layer):
    """Maps images in [0, 1] to the input range a backbone was trained with.

    Living inside the model, it makes a saved model self-contained: callers
    always feed float images in [0, 1].

    Args:
        mode: `"caffe"` (ResNet: BGR, 0-255, ImageNet means subtracted),
            `"tf"` (MobileNet: [-1, 1]), `"torch"` (ImageNet mean and
            standard deviation), `"scale255"` (EfficientNet, which
            normalises inside: 0-255), `"none"`, or `"affine"`:
            `x * scale + offset`, per channel or for all.
        scale: with `"affine"`, a float or one float per channel.
        offset: with `"affine"`, a float or one float per channel.
        **kwargs: standard `keras.layers.Layer` arguments.

    Raises:
        ValueError: for an unknown `mode`, or `scale`/`offset` that are not
            finite floats or are given without `"affine"`.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> layer = kp.layers.BackbonePreprocessing("tf")
    >>> np.asarray(layer(np.array([[[[0.0, 0.5, 1.0]]]])))[0, 0, 0]
    array([-1.,  0.,  1.], dtype=float32)
    """

    def __init__(
        self,
        mode: str = "tf",
        scale: float | Sequence[float] | None = None,
        offset: float | Sequence[float] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mode = check_choice(mode, PREPROCESSING_MODES, "mode")
        if mode != "affine" and (scale is not None or offset is not None):
            raise ValueError(
                '"scale" and "offset" apply to mode="affine" only. Received: '
                f"mode={mode!r}, scale={scale!r}, offset={offset!r}"
            )
        self.scale = _channel_values(scale, "scale", 1.0)
        self.offset = _channel_values(offset, "offset", 0.0)

    @classmethod
    def from_image_converter(
        cls, converter: Any, **kwargs: Any
    ) -> "BackbonePreprocessing":
        """The layer that does what a KerasHub image converter does, on [0, 1].

        Only the converter's `scale` and `offset` are used: its resizing is
        left out, since the models here take images of any size.

        Args:
            converter: a `keras_hub.layers.ImageConverter`, a KerasHub
                preprocessor holding one, or `{"scale": ..., "offset": ...}`
                for 0-255 pixels.
            **kwargs: standard `keras.layers.Layer` arguments.

        Returns:
            A `BackbonePreprocessing` in mode `"affine"`.
        """
        spec = preprocessing_spec(converter, "converter")
        if isinstance(spec, str):
            raise ValueError(
                '"converter" must be an image converter or its scale and offset. '
                f"Received: converter={converter!r}"
            )
        return preprocessing_layer(spec, **kwargs)

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
        if self.mode == "affine":
            scale = ops.convert_to_tensor(self.scale, x.dtype)
            return x * scale + ops.convert_to_tensor(self.offset, x.dtype)
        return x

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"mode": self.mode})
        if self.mode == "affine":
            config.update({"scale": self.scale, "offset": self.offset})
        return config


def preprocessing_spec(
    preprocessing: Any, name: str = "preprocessing"
) -> str | dict[str, Any] | None:
    """A model's `preprocessing` argument as its config stores it.

    Args:
        preprocessing: `None`, a mode name (see `BackbonePreprocessing`), a
            KerasHub `ImageConverter` (or a preprocessor with an
            `image_converter`), or a mapping with `"scale"` and/or
            `"offset"` as in such a converter: applied to 0-255 pixels.
        name: the argument's name, for error messages.

    Returns:
        `None`, the mode name, or `{"scale": ..., "offset": ...}` of floats
        (0-255 convention), JSON-ready.

    Raises:
        ValueError: for an unknown mode or anything else.
    """
    if preprocessing is None:
        return None
    if isinstance(preprocessing, str):
        return check_choice(preprocessing, NAMED_MODES, name)
    converter = getattr(preprocessing, "image_converter", None) or preprocessing
    if isinstance(converter, Mapping):
        values = dict(converter)
    elif hasattr(converter, "scale") and hasattr(converter, "offset"):
        values = {"scale": converter.scale, "offset": converter.offset}
    else:
        values = None
    if values is None or not values or set(values) - {"scale", "offset"}:
        raise ValueError(
            f'"{name}" must be one of {NAMED_MODES}, a KerasHub ImageConverter or '
            f'{{"scale": ..., "offset": ...}} for 0-255 pixels. '
            f"Received: {name}={preprocessing!r}"
        )
    return {
        "scale": _channel_values(values.get("scale"), f"{name}.scale", 1.0),
        "offset": _channel_values(values.get("offset"), f"{name}.offset", 0.0),
    }


def warn_if_hub_without_preprocessing(
    backbone: Any, preprocessing: Any, logger: logging.Logger
) -> None:
    """Logs a warning when a KerasHub / KerasCV backbone gets no preprocessing.

    Their presets were trained on their converter's scale and offset, which
    the backbone itself does not carry; [0, 1] inputs are then fed as they
    are, right for training from scratch but not for a preset's weights.
    """
    module = type(backbone).__module__
    if preprocessing is None and module.startswith(("keras_hub", "keras_cv")):
        logger.warning(
            "Backbone %r gets images in [0, 1] (preprocessing=None); a KerasHub "
            "preset expects its own scale and offset: pass preprocessing="
            "keras_hub.layers.ImageConverter.from_preset(PRESET).",
            backbone.name,
        )


def preprocessing_layer(
    spec: str | Mapping[str, Any], **kwargs: Any
) -> BackbonePreprocessing:
    """The `BackbonePreprocessing` for a `preprocessing_spec` result.

    Args:
        spec: a mode name or `{"scale": ..., "offset": ...}` for 0-255
            pixels (the layer itself takes [0, 1], so it scales by 255 more).
        **kwargs: standard `keras.layers.Layer` arguments.

    Returns:
        The layer.
    """
    if isinstance(spec, str):
        return BackbonePreprocessing(spec, **kwargs)
    scale = spec["scale"]
    scale = [255.0 * s for s in scale] if isinstance(scale, list) else 255.0 * scale
    return BackbonePreprocessing("affine", scale=scale, offset=spec["offset"], **kwargs)
