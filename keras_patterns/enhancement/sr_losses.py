"""Losses of ESRGAN: perceptual (VGG19 features) and relativistic average GAN."""

from typing import Any

import keras
from keras import ops

from keras_patterns.modeling.dilation import dilated_clone
from keras_patterns.modeling.preprocessing import BackbonePreprocessing
from keras_patterns.utils.distribution import all_gather
from keras_patterns.utils.distribution import num_replicas
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_choice

CRITERIA = ("l1", "l2")


def vgg19_features(
    layer: str = "block5_conv4",
    before_activation: bool = True,
    weights: str | None = "imagenet",
) -> keras.Model:
    """VGG19 truncated at `layer`, optionally before that layer's ReLU.

    Inputs are images in [0, 1]; the Caffe-style preprocessing Keras' VGG19
    expects (RGB to BGR, 0-255, ImageNet means subtracted) is inside.

    Args:
        layer: the VGG19 layer whose features come out.
        before_activation: stop before that layer's ReLU.
        weights: `"imagenet"`, `None` (random) or a weights file, as
            `keras.applications.VGG19` takes.

    Returns:
        A frozen `keras.Model` from `(batch, H, W, 3)` images to features.
    """
    vgg = keras.applications.VGG19(include_top=False, weights=weights)
    names = [lay.name for lay in vgg.layers]
    if layer not in names:
        convs = [n for n in names if "conv" in n]
        raise ValueError(
            f'"layer" must be a VGG19 layer such as {convs}. Received: {layer!r}'
        )
    if before_activation:
        vgg = dilated_clone(vgg, {layer: {"activation": "linear"}})
    trunk = keras.Model(vgg.input, vgg.get_layer(layer).output)
    images = keras.Input((None, None, 3))
    features = trunk(BackbonePreprocessing("caffe")(images))
    extractor = keras.Model(images, features, name=f"vgg19_{layer}")
    extractor.trainable = False
    return extractor


@keras.saving.register_keras_serializable(package="keras_patterns")
class PerceptualLoss(keras.losses.Loss):
    """Distance between VGG19 features of two images (ESRGAN's perceptual loss).

    ESRGAN compares features **before** the activation of `block5_conv4`:
    after the ReLU the features are sparse and carry weaker supervision.
    Images are in [0, 1]; the preprocessing Keras' VGG19 expects happens
    inside. The feature network is frozen. The loss of each image is
    returned and Keras reduces them (`reduction`), which on several
    replicas also divides by their number.

    Args:
        layer: the VGG19 layer whose features are compared.
        before_activation: compare before the layer's ReLU (ESRGAN) or after.
        weights: `"imagenet"` (what the loss is meant for; downloaded by
            Keras on first use) or `None` (random, for tests).
        criterion: `"l1"` (ESRGAN) or `"l2"`, averaged over features.
        name: name of the loss.
        **kwargs: standard `keras.losses.Loss` arguments.

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> loss = kp.losses.PerceptualLoss(weights=None)
    >>> float(loss(np.zeros((1, 32, 32, 3)), np.zeros((1, 32, 32, 3))))
    0.0

    Reference:
        Wang et al., "ESRGAN", ECCV Workshops 2018 (arXiv:1809.00219),
        section 3.3; Johnson et al., "Perceptual Losses for Real-Time Style
        Transfer and Super-Resolution", ECCV 2016.
    """

    def __init__(
        self,
        layer: str = "block5_conv4",
        before_activation: bool = True,
        weights: str | None = "imagenet",
        criterion: str = "l1",
        name: str = "perceptual_loss",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        check_choice(criterion, CRITERIA, "criterion")
        self.layer = layer
        self.before_activation = before_activation
        self.weights = weights
        self.criterion = criterion
        self.extractor = vgg19_features(layer, before_activation, weights)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        real = self.extractor(ops.cast(y_true, "float32"), training=False)
        fake = self.extractor(ops.cast(y_pred, "float32"), training=False)
        difference = real - fake
        if self.criterion == "l1":
            distance = ops.abs(difference)
        else:
            distance = ops.square(difference)
        return ops.mean(distance, axis=(1, 2, 3))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "layer": self.layer,
                "before_activation": self.before_activation,
                "weights": self.weights,
                "criterion": self.criterion,
            }
        )
        return config


def _bce_with_logits(logits, target):
    """Binary cross-entropy from logits, stable: softplus(-x) or softplus(x)."""
    return ops.softplus(-logits) if target else ops.softplus(logits)


@keras.saving.register_keras_serializable(package="keras_patterns")
class RelativisticAverageLoss(keras.losses.Loss):
    """The relativistic average GAN loss (RaGAN) of ESRGAN.

    The discriminator estimates whether a real image is more realistic than
    the average fake one, and a fake image less realistic than the average
    real one: `D(x_r, x_f) = sigmoid(C(x_r) - E[C(x_f)])`. With `y_true`
    the critic's logits on real images and `y_pred` on generated ones:

    - `for_generator=False`: `-E[log D(x_r, x_f)] - E[log(1 - D(x_f, x_r))]`
    - `for_generator=True`: `-E[log(1 - D(x_r, x_f))] - E[log D(x_f, x_r)]`

    each halved, as in BasicSR, and computed from logits with `softplus`.
    On several replicas (`tf.distribute`), the means `E[.]` are over the
    global batch.

    Args:
        for_generator: which side of the game the loss trains.
        name: name of the loss.
        **kwargs: standard `keras.losses.Loss` arguments; `reduction` is
            ignored (the loss is always a scalar).

    Example:

    >>> import numpy as np
    >>> import keras_patterns as kp
    >>> loss = kp.losses.RelativisticAverageLoss()
    >>> round(float(loss(np.zeros((4, 1)), np.zeros((4, 1)))), 4)  # log(2)
    0.6931

    Reference:
        Jolicoeur-Martineau, "The relativistic discriminator: a key element
        missing from standard GAN", ICLR 2019 (arXiv:1807.00734).
    """

    def __init__(
        self,
        for_generator: bool = False,
        name: str = "relativistic_average_loss",
        **kwargs: Any,
    ) -> None:
        kwargs.pop("reduction", None)
        super().__init__(name=name, reduction="sum", **kwargs)
        self.for_generator = bool(for_generator)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        # Each logit is compared with the mean over the global batch, so on
        # several replicas each one gathers the (small) logits, computes the
        # global loss and returns 1/N of it; the all-gather's gradient sums
        # the replicas' upstream gradients, so the summed gradients are the
        # global loss's.
        real = all_gather(ops.cast(y_true, "float32"))
        fake = all_gather(ops.cast(y_pred, "float32"))
        return self._batch_loss(real, fake) / num_replicas()

    def _batch_loss(self, real, fake):
        real_vs_fake = real - ops.mean(fake)
        fake_vs_real = fake - ops.mean(real)
        wins = not self.for_generator
        return 0.5 * (
            ops.mean(_bce_with_logits(real_vs_fake, wins))
            + ops.mean(_bce_with_logits(fake_vs_real, not wins))
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("reduction", None)
        config.update({"for_generator": self.for_generator})
        return config
