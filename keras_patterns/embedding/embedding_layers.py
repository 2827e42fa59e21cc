"""Layers of the pattern embedder: input scaling, generalised-mean pooling of
feature maps and mean pooling of transformer tokens."""

from typing import Any

import keras
from keras import ops

from keras_patterns.utils.typing import Shape
from keras_patterns.utils.typing import Tensor


@keras.saving.register_keras_serializable(package="keras_patterns")
class ImageRangeScaling(keras.layers.Layer):
    """Maps images in [0, 255] or [0, 1] to [0, 1], per image.

    Keras casts every input to float32 before a layer sees it, so the dtype
    of the caller's array is lost; the range is told by the values instead:
    an image whose largest value exceeds 1 is taken as 0-255 and divided by
    255. (A uint8 image whose pixels are all 0 or 1 is nearly black either
    way.) This lets a saved embedder take uint8 or [0, 1] images.
    """

    def call(self, inputs: Tensor) -> Tensor:
        x = ops.cast(inputs, self.compute_dtype)
        peak = ops.max(x, axis=(1, 2, 3), keepdims=True)
        return ops.where(peak > 1.0, x / 255.0, x)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape


@keras.saving.register_keras_serializable(package="keras_patterns")
class GeneralizedMeanPooling(keras.layers.Layer):
    """Generalised-mean (GeM) pooling over height and width.

    `(mean(x ** p)) ** (1 / p)` per channel, with `x` clamped at `epsilon`:
    `p = 1` is average pooling, large `p` approaches max pooling. With
    `trainable_p` the exponent is learned.

    Args:
        p: initial exponent (> 0).
        trainable_p: learn `p`.
        epsilon: lower clamp of the activations.
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> x = np.array([[[[1.0], [3.0]]]])
    >>> round(float(kp.layers.GeneralizedMeanPooling(p=1.0)(x)[0, 0]), 4)
    2.0

    Reference:
        Radenovic et al., "Fine-tuning CNN Image Retrieval with No Human
        Annotation", TPAMI 2018 (arXiv:1711.02512).
    """

    def __init__(
        self,
        p: float = 3.0,
        trainable_p: bool = True,
        epsilon: float = 1e-6,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not p > 0:
            raise ValueError(f'"p" must be positive. Received: p={p!r}')
        self.p = float(p)
        self.trainable_p = bool(trainable_p)
        self.epsilon = float(epsilon)

    def build(self, input_shape: Shape) -> None:
        self.exponent = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(self.p),
            trainable=self.trainable_p,
            name="p",
        )

    def call(self, inputs: Tensor) -> Tensor:
        x = ops.cast(inputs, "float32")
        # A floor per channel, not a scalar: XNNPACK (LiteRT's CPU delegate)
        # in tf.lite.Interpreter fails to reshape a maximum with a broadcast
        # scalar once the height and width are unknown.
        channels = x.shape[-1]
        floor = (
            self.epsilon if channels is None else ops.full((channels,), self.epsilon)
        )
        x = ops.maximum(x, floor)
        p = ops.maximum(ops.cast(self.exponent, "float32"), 1e-3)
        pooled = ops.mean(ops.power(x, p), axis=(1, 2))
        return ops.cast(ops.power(pooled, 1.0 / p), self.compute_dtype)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"p": self.p, "trainable_p": self.trainable_p, "epsilon": self.epsilon}
        )
        return config


@keras.saving.register_keras_serializable(package="keras_patterns")
class TokenPooling(keras.layers.Layer):
    """Mean of a transformer's patch tokens: `(batch, tokens, dim)` to `(batch, dim)`.

    The first `prefix_tokens` tokens (a ViT's class token, DINOv2's register
    tokens) are left out: they are trained for the pretraining objective,
    not to describe a region, and a backbone built from its config has them
    random. A mean rather than generalised-mean pooling because a ViT's
    tokens come out of a layer normalisation and are signed: GeM's clamp at
    `epsilon` (made for post-ReLU feature maps) would throw their negative
    half away. Like GeM on a feature map, the mean ignores where in the
    patch a motif sits.

    Args:
        prefix_tokens: leading tokens to leave out (>= 0).
        **kwargs: standard `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> from keras_patterns.embedding.embedding_layers import TokenPooling
    >>> tokens = np.array([[[9.0, 9.0], [1.0, -2.0], [3.0, 0.0]]])
    >>> np.asarray(TokenPooling(prefix_tokens=1)(tokens))
    array([[ 2., -1.]], dtype=float32)
    """

    def __init__(self, prefix_tokens: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(prefix_tokens, bool) or not (
            isinstance(prefix_tokens, int) and prefix_tokens >= 0
        ):
            raise ValueError(
                '"prefix_tokens" must be an int >= 0. '
                f"Received: prefix_tokens={prefix_tokens!r}"
            )
        self.prefix_tokens = prefix_tokens

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 3 or (
            input_shape[1] is not None and input_shape[1] <= self.prefix_tokens
        ):
            raise ValueError(
                "TokenPooling takes (batch, tokens, dim) with more than "
                f"prefix_tokens={self.prefix_tokens} tokens. "
                f"Received: input_shape={input_shape}"
            )

    def call(self, inputs: Tensor) -> Tensor:
        return ops.mean(inputs[:, self.prefix_tokens :, :], axis=1)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"prefix_tokens": self.prefix_tokens})
        return config
