"""DeepLabV3+: semantic segmentation of garments at any input size."""

import types
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from keras_patterns.modeling.labels import IGNORE_LABEL
from keras_patterns.modeling.preprocessing import preprocessing_layer
from keras_patterns.modeling.preprocessing import preprocessing_spec
from keras_patterns.modeling.upsampling import BilinearUpsampling
from keras_patterns.segmentation.aspp import AtrousSpatialPyramidPooling
from keras_patterns.segmentation.backbones import build_encoder
from keras_patterns.segmentation.deeplab_decoder import decoder
from keras_patterns.segmentation.deeplab_v3_plus_layers import CropToReference
from keras_patterns.segmentation.deeplab_v3_plus_layers import PadToMultiple
from keras_patterns.segmentation.segmentation_losses import (
    MaskedSparseCategoricalCrossentropy,
)
from keras_patterns.segmentation.segmentation_metrics import mean_iou_metric
from keras_patterns.segmentation.segmenter_inputs import predict_per_image
from keras_patterns.utils.presets import PresetMixin
from keras_patterns.utils.serialization import ArgumentsConfig
from keras_patterns.utils.serialization import RestoresCompile
from keras_patterns.utils.serialization import nested
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.validation import check_int


@keras.saving.register_keras_serializable(package="keras_patterns")
class DeepLabV3Plus(PresetMixin, ArgumentsConfig, RestoresCompile, keras.Model):
    """DeepLabV3+ semantic segmentation: logits at the input's resolution.

    An encoder (dilated ResNet-50, dilated MobileNetV2, a dilated KerasHub
    backbone, or any Keras model) gives stride-4 low-level features and
    high-level features at the output stride; ASPP gathers context from the
    latter; the decoder projects the low-level features to
    `low_level_filters` channels, concatenates them with the ASPP output
    upsampled to stride 4, refines with two 3x3 convolution blocks and
    predicts logits, upsampled to the input size.
    With `refine_filters`, a refinement step (not in the paper) follows at
    stride 2: the decoder output is projected, upsampled and concatenated
    with projected stride-2 features, one 3x3 convolution block refines it,
    and logits come from there. It resolves details narrower than a
    stride-4 cell (the gap between trouser legs in a small photo), at some
    cost in training time.

    Inputs are float images in [0, 1], `(batch, H, W, C)`, of **any** size:
    the model pads them internally to a multiple of the output stride and
    crops the logits back, so a 100x100 image gives 100x100 logits. The
    backbone's own preprocessing lives inside the model. The output is
    float32 logits `(batch, H, W, num_classes)`.

    Args:
        num_classes: number of classes (9 for `NINE_CLASSES`).
        backbone: `"resnet50"`, `"mobilenet_v2"` or a `keras.Model`: with
            `low_level_feature` and `high_level_feature`, used as it is;
            without, a KerasHub / KerasCV backbone exposing pyramid outputs
            (such as `keras_hub.models.Backbone.from_preset(
            "resnet_50_imagenet")`), whose stages past the output stride
            are dilated in a copy that keeps its weights (see
            `keras_patterns.modeling.dilate`).
        output_stride: 16 or 8; built-in and pyramid backbones dilate their
            last stage(s) to reach it.
        input_shape: `(H, W, C)`; `None` dimensions take any size.
        backbone_weights: built-in backbones only: `None`, `"imagenet"`, or
            the path of a `.weights.h5` file of the matching
            `keras.applications` model without top. Weights load by layer
            name. A saved model keeps its weights, so the config stores
            `None`.
        low_level_feature: name of the stride-4 layer of a custom backbone.
        high_level_feature: name of the deepest layer of a custom backbone.
        preprocessing: custom backbones: `"caffe"`, `"tf"`, `"torch"`,
            `"scale255"`, `"none"` (default), or a KerasHub backbone's own
            `keras_hub.layers.ImageConverter` (or a preprocessor holding
            one, or its `{"scale": ..., "offset": ...}` for 0-255 pixels),
            stored in the config as that dict; built-in backbones use
            their own.
        aspp_filters: channels of the ASPP branches.
        aspp_rates: ASPP dilation rates; default (6, 12, 18) at stride 16 and
            (12, 24, 36) at stride 8.
        aspp_dropout: dropout after the ASPP projection.
        decoder_filters: channels of the two decoder convolutions.
        low_level_filters: channels of the projected low-level features.
        refine_filters: `None` (the paper's decoder) or the channels of the
            stride-2 refinement block.
        fine_level_feature: with `refine_filters` and a custom backbone, the
            name of its stride-2 layer.
        **kwargs: standard `keras.Model` arguments (`name`, `dtype`).

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> model = kp.models.DeepLabV3Plus(num_classes=9, backbone="mobilenet_v2",
    ...                                 aspp_filters=32, decoder_filters=32)
    >>> tuple(model(np.zeros((1, 100, 100, 3), "float32")).shape)
    (1, 100, 100, 9)

    Reference:
        Chen et al., "Encoder-Decoder with Atrous Separable Convolution for
        Semantic Image Segmentation", ECCV 2018 (arXiv:1802.02611).
    """

    NESTED = ("backbone",)
    PRESET_TASK = "segmenter"

    def __init__(
        self,
        num_classes: int,
        backbone: str | keras.Model = "resnet50",
        output_stride: int = 16,
        input_shape: Sequence[int | None] = (None, None, 3),
        backbone_weights: str | None = None,
        low_level_feature: str | None = None,
        high_level_feature: str | None = None,
        preprocessing: Any = None,
        aspp_filters: int = 256,
        aspp_rates: tuple[int, ...] | list[int] | None = None,
        aspp_dropout: float = 0.1,
        decoder_filters: int = 256,
        low_level_filters: int = 48,
        refine_filters: int | None = None,
        fine_level_feature: str | None = None,
        **kwargs: Any,
    ) -> None:
        check_int(num_classes, "num_classes", minimum=2)
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                '"input_shape" must be (height, width, channels). '
                f"Received: input_shape={input_shape}"
            )
        if refine_filters is not None:
            check_int(refine_filters, "refine_filters", minimum=4)
            if not isinstance(backbone, str) and fine_level_feature is None:
                raise ValueError(
                    '"refine_filters" with a keras.Model backbone needs '
                    '"fine_level_feature", the name of its stride-2 layer. '
                    f"Received: fine_level_feature={fine_level_feature!r}"
                )
        # === Layers ===
        encoder = build_encoder(
            backbone,
            output_stride,
            input_shape,
            backbone_weights,
            low_level_feature,
            high_level_feature,
            preprocessing,
            fine=None if refine_filters is None else fine_level_feature or True,
        )
        rates = aspp_rates or tuple(r * 16 // encoder.high_stride for r in (6, 12, 18))
        aspp = AtrousSpatialPyramidPooling(
            aspp_filters, rates, aspp_dropout, name="aspp"
        )

        # === Functional Model ===
        images = keras.Input(shape=input_shape, name="images")
        x = preprocessing_layer(encoder.preprocessing, name="preprocessing")(images)
        x = PadToMultiple(encoder.high_stride, name="pad")(x)
        low, high, *fine = encoder.model(x)
        x, stride = decoder(
            low,
            high,
            fine[0] if fine else None,
            strides=(encoder.low_stride, encoder.high_stride, encoder.fine_stride),
            aspp=aspp,
            decoder_filters=decoder_filters,
            low_level_filters=low_level_filters,
            refine_filters=refine_filters,
        )
        x = keras.layers.Conv2D(num_classes, 1, name="logits")(x)
        x = BilinearUpsampling(stride, name="logits_up")(x)
        x = CropToReference(name="crop")(x, images)
        logits = keras.layers.Activation(
            "linear", dtype="float32", name="float32_logits"
        )(x)
        super().__init__(inputs=images, outputs=logits, **kwargs)

        # === Config ===
        self.backbone = encoder.model
        self.num_classes = num_classes
        # Read-only mappings: Keras tracks a model or dict attribute, and
        # would count a KerasHub backbone's weights beside its dilated copy's.
        self._given = types.MappingProxyType(
            {
                "backbone": nested(backbone),
                "preprocessing": preprocessing_spec(preprocessing),
            }
        )
        self.output_stride = encoder.high_stride
        self.image_shape = input_shape
        self.low_level_feature = low_level_feature
        self.high_level_feature = high_level_feature
        self.aspp_filters = aspp_filters
        self.aspp_rates = tuple(rates)
        self.aspp_dropout = aspp_dropout
        self.decoder_filters = decoder_filters
        self.low_level_filters = low_level_filters
        self.refine_filters = refine_filters
        self.fine_level_feature = fine_level_feature

    def preset_fields(self) -> dict[str, Any]:
        """`num_classes`, and `input_size` for a fixed input size."""
        fields = {"num_classes": self.num_classes}
        if None not in self.image_shape[:2]:
            fields["input_size"] = list(self.image_shape[:2])
        return fields

    @property
    def preprocessing(self) -> str | dict[str, Any] | None:
        """The `preprocessing` argument as the config stores it."""
        return self._given["preprocessing"]

    def _arguments(self):
        return {
            "num_classes": self.num_classes,
            "backbone": self._given["backbone"],
            "output_stride": self.output_stride,
            "input_shape": self.image_shape,
            "backbone_weights": None,
            "low_level_feature": self.low_level_feature,
            "high_level_feature": self.high_level_feature,
            "preprocessing": self._given["preprocessing"],
            "aspp_filters": self.aspp_filters,
            "aspp_rates": self.aspp_rates,
            "aspp_dropout": self.aspp_dropout,
            "decoder_filters": self.decoder_filters,
            "low_level_filters": self.low_level_filters,
            "refine_filters": self.refine_filters,
            "fine_level_feature": self.fine_level_feature,
        }

    def compile(
        self,
        optimizer: str | keras.optimizers.Optimizer = "auto",
        loss: str | keras.losses.Loss | Callable[..., Any] | None = "auto",
        metrics: str
        | Sequence[str | keras.metrics.Metric | Callable[..., Any]]
        | None = "auto",
        **kwargs: Any,
    ) -> None:
        """Configures training, with defaults that fit segmentation.

        Args:
            optimizer: `"auto"` is AdamW (learning rate 1e-3, weight decay 1e-4).
            loss: `"auto"` is `MaskedSparseCategoricalCrossentropy` (logits,
                skipping `IGNORE_LABEL`).
            metrics: `"auto"` is `keras.metrics.MeanIoU` over the classes,
                skipping `IGNORE_LABEL`, named `"mean_iou"`.
            **kwargs: other `keras.Model.compile` arguments.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.AdamW(1e-3, weight_decay=1e-4)
        if loss == "auto":
            loss = MaskedSparseCategoricalCrossentropy(ignore_class=IGNORE_LABEL)
        if metrics == "auto":
            metrics = [mean_iou_metric(self.num_classes)]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def predict_labels(
        self, images: ArrayLike | Sequence[ArrayLike], batch_size: int = 8
    ) -> np.ndarray | list[np.ndarray]:
        """Predicts a label map for each image, at the image's own size.

        Args:
            images: one image `(H, W, 3)`, a batch array `(N, H, W, 3)` or
                a list of images of any sizes; uint8 in [0, 255] or float
                in [0, 1].
            batch_size: images per forward pass (same-size images only are
                batched together).

        Returns:
            uint8 label maps: `(N, H, W)` for a batch array, a list of
            `(H, W)` arrays for a list, one `(H, W)` array for one image.
        """
        return predict_per_image(
            self,
            images,
            batch_size,
            lambda logits: np.argmax(logits, axis=-1).astype(np.uint8),
        )

    def predict_logits(
        self, images: ArrayLike | Sequence[ArrayLike], batch_size: int = 8
    ) -> np.ndarray | list[np.ndarray]:
        """Predicts per-pixel class logits, at each image's own size.

        What `predict_labels` takes the argmax of: for decisions that weigh
        the classes, such as a catalogue's prior on which garment a photo
        shows (`keras_patterns.segmentation.garment_labels`).

        Args:
            images: as in `predict_labels`.
            batch_size: images per forward pass.

        Returns:
            float32 logits `(H, W, num_classes)`, batched like
            `predict_labels`' maps.

        Example:

        >>> import numpy as np
        >>> import keras_patterns as kp
        >>> model = kp.models.DeepLabV3Plus(9, backbone="mobilenet_v2",
        ...                                 aspp_filters=16, decoder_filters=16)
        >>> photos = np.zeros((2, 64, 48, 3), "uint8")
        >>> logits = model.predict_logits(photos)
        >>> logits.shape
        (2, 64, 48, 9)
        >>> bool((logits.argmax(-1) == model.predict_labels(photos)).all())
        True
        """
        return predict_per_image(
            self, images, batch_size, lambda logits: logits.astype(np.float32)
        )
