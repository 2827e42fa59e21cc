"""PatternEmbedder: an image patch to a unit vector that describes its pattern."""

import logging
import types
from typing import Any

import keras
import numpy as np

from keras_patterns.embedding.embedding_layers import GeneralizedMeanPooling
from keras_patterns.embedding.embedding_layers import ImageRangeScaling
from keras_patterns.embedding.embedding_layers import TokenPooling
from keras_patterns.embedding.l2_normalize import L2Normalize
from keras_patterns.modeling.preprocessing import preprocessing_layer
from keras_patterns.modeling.preprocessing import preprocessing_spec
from keras_patterns.modeling.preprocessing import warn_if_hub_without_preprocessing
from keras_patterns.utils.images import to_float
from keras_patterns.utils.inference import predict_batches
from keras_patterns.utils.presets import PresetMixin
from keras_patterns.utils.serialization import ArgumentsConfig
from keras_patterns.utils.serialization import nested
from keras_patterns.utils.typing import ArrayLike
from keras_patterns.utils.typing import PathLike
from keras_patterns.utils.typing import Shape
from keras_patterns.utils.validation import check_choice
from keras_patterns.utils.validation import check_int

logger = logging.getLogger(__name__)

POOLINGS = ("auto", "gem", "avg")


def texture_cnn(
    input_shape: Shape = (None, None, 3),
    width: int = 32,
    standardize: bool = True,
    name: str = "texture_cnn",
) -> keras.Model:
    """A small convolutional backbone for training pattern embedders from scratch.

    Five stages of two 3x3 convolutions with batch normalisation and ReLU,
    each stage but the last halving the resolution (stride 16 overall) and
    doubling the channels from `width`. Cheap enough to train on a CPU in
    minutes, and it keeps enough resolution for fine weaves.

    With `standardize`, each image is first standardised per channel over
    its pixels (instance normalisation without parameters): the global
    colour and contrast of a fabric, which say nothing about its pattern,
    are gone before the first convolution. Triplet training then starts
    learning the pattern at once instead of first unlearning colour.

    Args:
        input_shape: `(H, W, 3)`; `None` dimensions take any size.
        width: channels of the first stage (doubled by each of the next
            three).
        standardize: standardise each image per channel first.
        name: name of the model.

    Returns:
        A `keras.Model` from images to `(ceil(H / 16), ceil(W / 16), 8 * width)`
        features.
    """
    images = keras.Input(input_shape)
    x = images
    if standardize:
        x = keras.layers.GroupNormalization(
            groups=-1, center=False, scale=False, epsilon=1e-3, name="standardize"
        )(x)
    for stage in range(5):
        filters = width * 2 ** min(stage, 3)
        for i in range(2):
            strides = 2 if i == 0 and stage > 0 else 1
            x = keras.layers.Conv2D(
                filters,
                3,
                strides=strides,
                padding="same",
                use_bias=False,
                name=f"stage{stage}_conv{i}",
            )(x)
            x = keras.layers.BatchNormalization(
                momentum=0.9, name=f"stage{stage}_bn{i}"
            )(x)
            x = keras.layers.ReLU(name=f"stage{stage}_relu{i}")(x)
    return keras.Model(images, x, name=name)


def _prefix_tokens(network):
    """Leading non-patch tokens of a token backbone: all tokens less the
    patches when its patch size and input size are known (KerasHub ViT,
    DeiT, DINOv2), else its class token and register tokens."""
    tokens = network.output.shape[1]
    patch = getattr(network, "patch_size", None)
    height, width = network.input.shape[1:3]
    if tokens is not None and patch and height and width:
        patch_h, patch_w = (patch, patch) if isinstance(patch, int) else patch
        return tokens - (height // patch_h) * (width // patch_w)
    return int(getattr(network, "use_class_token", True)) + int(
        getattr(network, "num_register_tokens", 0)
    )


def _pooling_layer(pooling, network):
    """The pooling of `network`'s features: GeM or the mean of a feature map
    `(batch, H, W, C)`, the mean of the patch tokens of `(batch, tokens, C)`."""
    rank = len(network.output.shape)
    if rank == 3:
        if pooling == "gem":
            raise ValueError(
                '"pooling"="gem" needs non-negative feature maps; a token '
                'backbone\'s tokens are signed. Use "auto" or "avg" (the mean of '
                f"its patch tokens). Received: pooling={pooling!r}"
            )
        return TokenPooling(_prefix_tokens(network), name="token_pooling")
    if rank != 4:
        raise ValueError(
            '"backbone" must output feature maps (batch, H, W, C) or tokens '
            f"(batch, tokens, C). Received an output of shape {network.output.shape}"
        )
    if pooling in ("auto", "gem"):
        return GeneralizedMeanPooling(name="gem_pooling")
    return keras.layers.GlobalAveragePooling2D(name="avg_pooling")


def _fixed_input_shape(input_shape, network):
    """`input_shape` with unknown sizes taken from a fixed-size backbone
    (a ViT's position embeddings fix its image size)."""
    given = network.input.shape[1:]
    if len(given) != len(input_shape):
        return input_shape
    return tuple(b if a is None else a for a, b in zip(input_shape, given, strict=True))


BUILTIN = {
    "texture_cnn": (lambda shape, weights: texture_cnn(shape), "none"),
    "mobilenet_v2": (
        lambda shape, weights: keras.applications.MobileNetV2(
            include_top=False, weights=weights, input_shape=shape
        ),
        "tf",
    ),
    "resnet50": (
        lambda shape, weights: keras.applications.ResNet50(
            include_top=False, weights=weights, input_shape=shape
        ),
        "caffe",
    ),
    "efficientnet_b0": (
        lambda shape, weights: keras.applications.EfficientNetB0(
            include_top=False, weights=weights, input_shape=shape
        ),
        "scale255",
    ),
}


@keras.saving.register_keras_serializable(package="keras_patterns")
class PatternEmbedder(PresetMixin, ArgumentsConfig, keras.Model):
    """Maps image patches to L2-normalised vectors, close for similar patterns.

    A backbone (a `keras.applications` network, a small `"texture_cnn"` for
    training from scratch, or any `keras.Model` of images: a CNN giving
    feature maps, such as a KerasHub `ResNetBackbone`, or a transformer
    giving tokens, such as a KerasHub `ViTBackbone`), a pooling
    (generalised mean of feature maps by default, which weighs strong
    texture responses more than averaging does; the mean of the patch
    tokens of a transformer), a linear projection and `L2Normalize`.
    Images may be uint8 in [0, 255] or float in [0, 1], of any size of at
    least 32 pixels (of the backbone's size when it has a fixed one, as a
    ViT does); the range check and the backbone's own preprocessing live
    inside the model, so a saved embedder is self-contained.

    Args:
        backbone: `"texture_cnn"`, `"mobilenet_v2"`, `"resnet50"`,
            `"efficientnet_b0"` or a `keras.Model` taking images and giving
            `(batch, H, W, C)` feature maps or `(batch, tokens, C)` tokens.
        embedding_dim: size of the embeddings.
        input_shape: `(H, W, 3)`; `None` dimensions take any size, or the
            backbone's own when its input size is fixed.
        backbone_weights: `keras.applications` backbones: `None` (random),
            `"imagenet"` or a weights file path. Not stored in the config:
            a saved model keeps its weights.
        pooling: `"auto"` (GeM of feature maps, the mean of patch tokens),
            `"gem"` (feature maps only) or `"avg"` (mean of the feature map
            or of the patch tokens; a ViT's class token is left out, see
            `keras_patterns.embedding.embedding_layers.TokenPooling`).
        preprocessing: for a `keras.Model` backbone, its input range: a
            `BackbonePreprocessing` mode (`"none"`, the default, keeps
            [0, 1]) or a KerasHub backbone's own
            `keras_hub.layers.ImageConverter` (or its `{"scale": ...,
            "offset": ...}` for 0-255 pixels), stored as that dict.
        **kwargs: standard `keras.Model` arguments.

    Raises:
        ValueError: for an unknown backbone or pooling, `"gem"` over
            tokens, or a backbone whose output is neither.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=16)
    >>> vectors = embedder.embed(np.zeros((2, 48, 48, 3), np.uint8))
    >>> vectors.shape
    (2, 16)
    """

    NESTED = ("backbone",)
    PRESET_TASK = "embedder"

    def __init__(
        self,
        backbone: str | keras.Model = "texture_cnn",
        embedding_dim: int = 128,
        input_shape: Shape = (None, None, 3),
        backbone_weights: PathLike | None = None,
        pooling: str = "auto",
        preprocessing: Any = None,
        **kwargs: Any,
    ) -> None:
        check_int(embedding_dim, "embedding_dim")
        check_choice(pooling, POOLINGS, "pooling")
        input_shape = tuple(input_shape)
        # === Layers ===
        if isinstance(backbone, str):
            check_choice(backbone, tuple(BUILTIN), "backbone")
            build, mode = BUILTIN[backbone]
            network = build(input_shape, backbone_weights)
        elif isinstance(backbone, keras.Model):
            network, mode = backbone, preprocessing_spec(preprocessing) or "none"
            warn_if_hub_without_preprocessing(backbone, preprocessing, logger)
            input_shape = _fixed_input_shape(input_shape, network)
        else:
            raise ValueError(
                f'"backbone" must be one of {tuple(BUILTIN)} or a keras.Model. '
                f"Received: backbone={backbone!r}"
            )
        pool = _pooling_layer(pooling, network)

        # === Functional Model ===
        images = keras.Input(shape=input_shape, name="images")
        x = ImageRangeScaling(name="range")(images)
        x = preprocessing_layer(mode, name="preprocessing")(x)
        x = pool(network(x))
        x = keras.layers.Dense(embedding_dim, name="projection")(x)
        embeddings = L2Normalize(dtype="float32", name="l2_normalize")(x)
        super().__init__(inputs=images, outputs=embeddings, **kwargs)

        # === Config ===
        self.backbone = network
        self.backbone_spec = backbone
        self.embedding_dim = embedding_dim
        self.image_shape = input_shape
        self.pooling = pooling
        # A read-only mapping: Keras would track a dict attribute.
        self._given = types.MappingProxyType(
            {"preprocessing": preprocessing_spec(preprocessing)}
        )

    @property
    def preprocessing(self) -> str | dict[str, Any] | None:
        """The `preprocessing` argument as the config stores it."""
        return self._given["preprocessing"]

    def embed(self, images: ArrayLike, batch_size: int = 64) -> np.ndarray:
        """Embeds images (uint8 or float in [0, 1]) into a `(N, D)` NumPy array.

        Args:
            images: a batch `(N, H, W, 3)` or a list of same-size images.
            batch_size: images per forward pass.

        Returns:
            The `(N, D)` float32 embeddings, L2-normalised.

        Raises:
            ValueError: for images that are not RGB, not in range, or not of
                the embedder's fixed size.
        """
        array = to_float(
            images if not isinstance(images, list) else list(images),
            "images",
            batched=True,
            channels=(3,),
        )
        fixed = self.image_shape[:2]
        if any(
            f is not None and f != a
            for f, a in zip(fixed, array.shape[1:3], strict=True)
        ):
            raise ValueError(
                f'"images" must be {fixed[0]}x{fixed[1]} for this embedder. '
                f"Received: images of shape {array.shape}"
            )
        return predict_batches(self, array, check_int(batch_size, "batch_size"))

    # === Presets ===

    def preset_fields(self) -> dict[str, Any]:
        """`embedding_dim`, and `patch_size` for a fixed square input."""
        height, width = self.image_shape[:2]
        fields = {"embedding_dim": self.embedding_dim}
        if height is not None and height == width:
            fields["patch_size"] = height
        return fields

    def _arguments(self):
        return {
            "backbone": nested(self.backbone_spec),
            "embedding_dim": self.embedding_dim,
            "input_shape": self.image_shape,
            "backbone_weights": None,
            "pooling": self.pooling,
            "preprocessing": self.preprocessing,
        }
