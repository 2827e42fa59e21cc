"""Encoders for DeepLabV3+: dilated ResNet-50, dilated MobileNetV2, any model.

DeepLab reaches an output stride of 16 or 8 by **dilating** the last
stage(s) of the classifier instead of striding: the strided convolution of a
stage becomes stride 1 and every later 3x3 convolution is dilated by the
stride it gave up, so the receptive field is kept and no layer (and no
pretrained weight) is thrown away. Both built-in encoders are
`keras.applications` networks rebuilt that way with `clone_model`, so their
layer names, and hence ImageNet weights loaded by name, are Keras' own.
A KerasHub or KerasCV backbone (one with pyramid outputs) is dilated the
same way, by `keras_patterns.modeling.dilate`, its weights
copied; a `keras.Model` whose layers are named is used as it is.
"""

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import keras

from keras_patterns.modeling.dilation import dilate
from keras_patterns.modeling.dilation import dilated_clone
from keras_patterns.modeling.preprocessing import preprocessing_spec
from keras_patterns.modeling.preprocessing import warn_if_hub_without_preprocessing
from keras_patterns.utils.validation import check_choice

logger = logging.getLogger(__name__)

OUTPUT_STRIDES = (8, 16)


@dataclasses.dataclass(frozen=True)
class Encoder:
    """An encoder model with outputs `[low_level, high_level]` and facts about it.

    With `fine_stride` (2), the model has a third output: stride-2 features
    for `DeepLabV3Plus`'s optional refinement.

    Attributes:
        model: the encoder, a `keras.Model` with outputs
            `[low_level, high_level]` (and stride-2 features with
            `fine_stride`).
        low_stride: stride of the low-level features (4).
        high_stride: stride of the high-level features, the output stride.
        preprocessing: what its inputs need: a `BackbonePreprocessing`
            mode or an image converter's `{"scale": ..., "offset": ...}`
            (see `keras_patterns.modeling.preprocessing.preprocessing_layer`).
        fine_stride: stride of the third output (2), or `None` without one.
    """

    model: keras.Model
    low_stride: int
    high_stride: int
    preprocessing: str | dict[str, Any]
    fine_stride: int | None = None


def _resnet50_plan(output_stride):
    """Layer config changes turning ResNet-50's last stage(s) into dilated ones."""
    stages = {16: {"conv5": 2}, 8: {"conv4": 2, "conv5": 4}}[output_stride]
    changes = {}
    for stage, rate in stages.items():
        for name in (f"{stage}_block1_0_conv", f"{stage}_block1_1_conv"):
            changes[name] = {"strides": (1, 1)}
        blocks = 6 if stage == "conv4" else 3
        for block in range(1, blocks + 1):
            changes[f"{stage}_block{block}_2_conv"] = {"dilation_rate": (rate, rate)}
    return changes


def _mobilenet_v2_plan(output_stride):
    """The same for MobileNetV2, whose strided blocks are 6 and 13.

    As in DeepLab's MobileNetV2, the block that would exceed the output
    stride keeps its own rate and stops striding (its explicit zero padding
    becomes symmetric), and the blocks after it are dilated.
    """
    strided = {16: (13,), 8: (6, 13)}[output_stride]
    changes, rate = {}, 1
    for block in range(1, 17):
        if block in strided:
            changes[f"block_{block}_pad"] = {"padding": ((rate, rate), (rate, rate))}
            changes[f"block_{block}_depthwise"] = {
                "strides": (1, 1),
                "dilation_rate": (rate, rate),
            }
            rate *= 2
        elif rate > 1:
            changes[f"block_{block}_depthwise"] = {"dilation_rate": (rate, rate)}
    return changes


BUILTIN = {
    "resnet50": (
        keras.applications.ResNet50,
        _resnet50_plan,
        "conv1_relu",
        "conv2_block3_out",
        "conv5_block3_out",
        "caffe",
    ),
    "mobilenet_v2": (
        keras.applications.MobileNetV2,
        _mobilenet_v2_plan,
        "block_1_expand_relu",
        "block_3_expand_relu",
        "block_16_project_BN",
        "tf",
    ),
}


def _builtin_encoder(name, output_stride, input_shape, weights, fine):
    application, plan, fine_name, low, high, preprocessing = BUILTIN[name]
    if input_shape[-1] != 3:
        raise ValueError(
            f'The "{name}" backbone takes RGB images: "input_shape" must end in 3. '
            f"Received: input_shape={input_shape}"
        )
    if (
        isinstance(weights, str)
        and weights != "imagenet"
        and not weights.endswith(".h5")
    ):
        raise ValueError(
            '"backbone_weights" must be None, "imagenet" or the path of a Keras '
            f"weights file (.h5) of the backbone without its top. Received: {weights!r}"
        )
    base = application(include_top=False, weights=weights, input_shape=input_shape)
    # MobileNetV2 ships batch-norm momentum 0.999: its moving statistics need
    # thousands of steps to forget their initial values, so a model trained
    # for a few hundred steps predicts garbage at inference. 0.99 (Keras'
    # default, ResNet-50's) converges in hundreds.
    model = dilated_clone(base, plan(output_stride), bn_momentum=0.99)
    names = [low, high, fine_name] if fine else [low, high]
    encoder = keras.Model(
        model.input,
        [model.get_layer(n).output for n in names],
        name=f"{name}_encoder",
    )
    return Encoder(encoder, 4, output_stride, preprocessing, 2 if fine else None)


def _probe_strides(encoder, input_shape):
    """Measures the strides of the outputs, tracing the encoder symbolically."""
    height = input_shape[0] or 64
    width = input_shape[1] or 64
    probe = keras.KerasTensor((1, height, width, input_shape[-1]), "float32")
    outputs = encoder.compute_output_spec(probe)
    low, high = outputs[:2]
    strides = [height // low.shape[1], height // high.shape[1], width // high.shape[2]]
    return strides + [height // f.shape[1] for f in outputs[2:]]


def _pyramid_levels(backbone):
    """KerasHub (`pyramid_outputs`) or KerasCV (`pyramid_level_inputs`) levels."""
    levels = getattr(backbone, "pyramid_outputs", None)
    if levels:
        return dict(levels)
    names = getattr(backbone, "pyramid_level_inputs", None)
    if names:
        return {level: backbone.get_layer(n).output for level, n in names.items()}
    return None


def _deepest_feature(backbone, levels):
    """The backbone's own output when it is one feature map (a ResNetV2's
    final normalisation follows P5), else its deepest pyramid level."""
    outputs = backbone.outputs
    if len(outputs) == 1 and len(outputs[0].shape) == 4:
        return outputs[0]
    return levels[max(levels, key=lambda level: int(str(level).lstrip("P")))]


def _check_strides(encoder, input_shape):
    """Measures the encoder's strides and checks them; returns them."""
    low_stride, high_stride, high_stride_w, *fine_stride = _probe_strides(
        encoder, input_shape
    )
    if low_stride != 4 or high_stride != high_stride_w or high_stride % 4:
        raise ValueError(
            "The low-level feature must have stride 4 and the high-level one a "
            f"multiple of 4. Measured strides: {low_stride} and {high_stride}"
        )
    if fine_stride and fine_stride[0] != 2:
        raise ValueError(
            f"The fine-level feature must have stride 2. Measured: {fine_stride[0]}"
        )
    return high_stride, 2 if fine_stride else None


def _pyramid_encoder(backbone, levels, output_stride, fine):
    """A KerasHub / KerasCV backbone's P2 and deepest features, its stages
    past `output_stride` dilated (weights copied, so a preset's are kept)."""
    if "P2" not in levels:
        raise ValueError(
            'A pyramid backbone needs a stride-4 level "P2". Received levels: '
            f"{sorted(levels)}"
        )
    features = [levels["P2"], _deepest_feature(backbone, levels)]
    if fine is not None:
        features.append(backbone.get_layer(fine).output)
    plain = keras.Model(backbone.input, features, name=f"{backbone.name}_encoder")
    try:
        return dilate(plain, output_stride)
    except ValueError as error:
        raise ValueError(
            f"Backbone {backbone.name!r} cannot be dilated to output stride "
            f"{output_stride}: {error} Pass `low_level_feature` and "
            "`high_level_feature` (layer names) to use its features as they are."
        ) from error


def _custom_encoder(
    backbone, output_stride, input_shape, low_name, high_name, preprocessing, fine
):
    if low_name is not None and high_name is not None:
        features = [
            backbone.get_layer(low_name).output,
            backbone.get_layer(high_name).output,
        ]
        if fine is not None:
            features.append(backbone.get_layer(fine).output)
        encoder = keras.Model(backbone.input, features, name=f"{backbone.name}_encoder")
    else:
        levels = _pyramid_levels(backbone)
        if levels is None:
            raise ValueError(
                "A keras.Model backbone needs `low_level_feature` and "
                "`high_level_feature`, the names of its stride-4 layer and of its "
                "deepest layer (or KerasHub/KerasCV pyramid outputs). Received "
                f"low_level_feature={low_name!r}, high_level_feature={high_name!r}"
            )
        encoder = _pyramid_encoder(backbone, levels, output_stride, fine)
    high_stride, fine_stride = _check_strides(encoder, input_shape)
    warn_if_hub_without_preprocessing(backbone, preprocessing, logger)
    return Encoder(encoder, 4, high_stride, preprocessing or "none", fine_stride)


def build_encoder(
    backbone: str | keras.Model,
    output_stride: int = 16,
    input_shape: Sequence[int | None] = (None, None, 3),
    weights: str | None = None,
    low_level_feature: str | None = None,
    high_level_feature: str | None = None,
    preprocessing: Any = None,
    fine: bool | str | None = False,
) -> Encoder:
    """Builds the encoder of DeepLabV3+.

    A `keras.Model` backbone gives the layers named by `low_level_feature`
    and `high_level_feature` as they are. Without names, a KerasHub
    backbone (`pyramid_outputs`) or KerasCV one (`pyramid_level_inputs`)
    gives its stride-4 level P2 and its deepest features (P5, or the
    backbone's output), its stages past `output_stride` dilated, not
    dropped: a copy with the original's weights (see
    `keras_patterns.modeling.dilate`).

    Args:
        backbone: `"resnet50"`, `"mobilenet_v2"` or a `keras.Model`.
        output_stride: 16 or 8 (built-in and pyramid backbones are dilated
            to reach it).
        input_shape: `(height, width, channels)`, `None` for any size.
        weights: built-in backbones only: `None` (random), `"imagenet"` or
            the path of a `.weights.h5` file saved from the matching
            `keras.applications` model with `include_top=False`.
        low_level_feature: for a `keras.Model`, the name of its stride-4 layer.
        high_level_feature: for a `keras.Model`, the name of its deepest layer.
        preprocessing: for a `keras.Model`, a `BackbonePreprocessing` mode,
            or a KerasHub `ImageConverter` (or its `{"scale", "offset"}` for
            0-255 pixels); `None` feeds [0, 1] images as they are (with a
            warning for a KerasHub / KerasCV backbone, whose presets expect
            their own scale and offset).
        fine: also output stride-2 features: `True` for a built-in
            backbone, the layer's name for a `keras.Model`.

    Returns:
        An `Encoder`.

    Raises:
        ValueError: for an unknown backbone or output stride, weights for a
            `keras.Model`, features whose strides are not 4 and a multiple
            of 4 (2 for `fine`), or a pyramid backbone whose striding
            happens inside composite layers, where it cannot be dilated.
    """
    check_choice(output_stride, OUTPUT_STRIDES, "output_stride")
    if isinstance(backbone, str):
        check_choice(backbone, tuple(BUILTIN), "backbone")
        return _builtin_encoder(
            backbone, output_stride, tuple(input_shape), weights, bool(fine)
        )
    if not isinstance(backbone, keras.Model):
        raise ValueError(
            f'"backbone" must be one of {tuple(BUILTIN)} or a keras.Model. '
            f"Received: backbone={backbone!r}"
        )
    if weights is not None:
        raise ValueError(
            '"backbone_weights" applies to built-in backbones only; load weights '
            "into your keras.Model before passing it."
        )
    if fine is True:
        raise ValueError(
            '"fine" for a keras.Model backbone must be the name of its stride-2 '
            "layer. Received: fine=True"
        )
    return _custom_encoder(
        backbone,
        output_stride,
        input_shape,
        low_level_feature,
        high_level_feature,
        preprocessing_spec(preprocessing),
        fine or None,
    )
