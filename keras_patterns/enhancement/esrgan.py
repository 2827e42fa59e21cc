"""ESRGAN training: a PSNR phase (L1), then the adversarial phase."""

from typing import Any

import keras
from keras import ops

from keras_patterns.enhancement.sr_losses import PerceptualLoss
from keras_patterns.enhancement.sr_losses import RelativisticAverageLoss
from keras_patterns.utils.distribution import global_mean
from keras_patterns.utils.distribution import num_replicas
from keras_patterns.utils.typing import Tensor
from keras_patterns.utils.validation import check_choice

PHASES = ("psnr", "gan")
TRAINING_BACKENDS = ("tensorflow", "torch")


def _pixel_loss(fake, real):
    """This replica's share of the L1 distance over the global batch."""
    error = ops.abs(ops.cast(fake, "float32") - ops.cast(real, "float32"))
    return global_mean(ops.sum(error), ops.size(error))


@keras.saving.register_keras_serializable(package="keras_patterns")
class ESRGAN(keras.Model):
    """Trains an RRDBNet generator the ESRGAN way, with `compile()` / `fit()`.

    `fit` takes batches of `(low_res, high_res)` images in [0, 1] (see
    `super_resolution_dataset`). Two phases, chosen in `compile`:

    - `phase="psnr"`: the generator alone minimises the L1 pixel loss. This
      pre-training gives PSNR-oriented weights and a sane start for the GAN.
    - `phase="gan"`: the generator minimises
      `perceptual_weight * perceptual + gan_weight * RaGAN_G + pixel_weight * L1`
      (1, 5e-3 and 1e-2 by default, as in the paper) and the VGG-style
      discriminator the relativistic average loss, one step each per batch.

    The generator optimiser can keep an exponential moving average of the
    generator's weights (`generator_ema`), swapped in when `fit` ends, as
    BasicSR's `net_g_ema`. Calling the model runs the generator.

    The training step uses TensorFlow's `GradientTape` or PyTorch's
    autograd, behind the same `fit`; JAX's stateless training loop carries
    a single optimiser's state, so `compile` refuses JAX with a clear error
    (the generator and discriminator themselves run on every backend).

    Args:
        generator: an `RRDBNet` (or any image-to-image model).
        discriminator: a `VGGStyleDiscriminator` (needed for the GAN phase).
        perceptual_loss: a `PerceptualLoss`; built with ImageNet weights when
            the GAN phase starts if not given.
        **kwargs: standard `keras.Model` arguments.

    Example:

    >>> import keras_patterns as kp
    >>> generator = kp.models.RRDBNet(num_blocks=1, filters=8, growth=4)
    >>> gan = kp.models.ESRGAN(generator, kp.models.VGGStyleDiscriminator(filters=8))
    >>> gan.generator is generator
    True

    Then `gan.compile(phase="psnr")` and `gan.fit(pairs)` (L1 first), and
    `gan.compile(phase="gan")` for the adversarial phase, on the TensorFlow
    or PyTorch backend.

    Reference:
        Wang et al., "ESRGAN: Enhanced Super-Resolution Generative
        Adversarial Networks", ECCV Workshops 2018 (arXiv:1809.00219).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model | None = None,
        perceptual_loss: keras.losses.Loss | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.perceptual_loss = perceptual_loss
        self.phase = "psnr"
        self.d_optimizer = None
        self.trackers = {}

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        return self.generator(inputs, training=training)

    def compile(
        self,
        phase: str = "psnr",
        generator_optimizer: keras.optimizers.Optimizer | None = None,
        discriminator_optimizer: keras.optimizers.Optimizer | None = None,
        pixel_weight: float | None = None,
        perceptual_weight: float = 1.0,
        gan_weight: float = 5e-3,
        generator_ema: float | None = None,
        **kwargs: Any,
    ) -> None:
        """Configures a training phase.

        Args:
            phase: `"psnr"` (L1 only) or `"gan"` (perceptual + RaGAN + L1).
            generator_optimizer: default Adam(2e-4 in the PSNR phase, 1e-4 in
                the GAN phase, beta_2=0.99), as in ESRGAN.
            discriminator_optimizer: default Adam(1e-4, beta_2=0.99).
            pixel_weight: weight of L1: 1 in the PSNR phase, 1e-2 in the GAN
                phase by default.
            perceptual_weight: weight of the perceptual loss (GAN phase).
            gan_weight: weight of the generator's RaGAN loss (GAN phase).
            generator_ema: `None`, or the decay (e.g. 0.999) of an exponential
                moving average of the generator weights, used when `fit` ends.
            **kwargs: other `keras.Model.compile` arguments.
        """
        check_choice(phase, PHASES, "phase")
        backend = keras.backend.backend()
        if backend not in TRAINING_BACKENDS:
            raise ValueError(
                f"ESRGAN training runs on the {TRAINING_BACKENDS} backends; the "
                f"current backend is {backend!r}. Set KERAS_BACKEND=tensorflow (the "
                "trained generator then runs on any backend)."
            )
        if phase == "gan" and self.discriminator is None:
            raise ValueError(
                'phase="gan" needs a discriminator: ESRGAN(generator, discriminator).'
            )
        gan = phase == "gan"
        ema = (
            {}
            if generator_ema is None
            else {"use_ema": True, "ema_momentum": generator_ema}
        )
        self.phase = phase
        self.pixel_weight = (
            (1e-2 if gan else 1.0) if pixel_weight is None else pixel_weight
        )
        self.perceptual_weight = perceptual_weight
        self.gan_weight = gan_weight
        if gan and self.perceptual_loss is None:
            self.perceptual_loss = PerceptualLoss()
        self.d_optimizer = discriminator_optimizer or keras.optimizers.Adam(
            1e-4, beta_2=0.99
        )
        generator_optimizer = generator_optimizer or keras.optimizers.Adam(
            1e-4 if gan else 2e-4, beta_2=0.99, **ema
        )
        names = ["loss", "pixel_loss"] + (
            ["perceptual_loss", "gan_loss", "d_loss"] if gan else []
        )
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        super().compile(optimizer=generator_optimizer, **kwargs)
        # `fit` ends by finalising the optimiser over all trainable weights,
        # discriminator included; only the generator's have averages.
        finalize = type(generator_optimizer).finalize_variable_values
        generator_optimizer.finalize_variable_values = lambda _: finalize(
            generator_optimizer, self.generator.trainable_variables
        )

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The loss trackers of the compiled phase, reset every epoch."""
        return list(self.trackers.values())

    def _generator_loss(self, low_res, high_res):
        # On several replicas (`tf.distribute`) every part is this replica's
        # share of the global-batch value: the optimisers sum the replicas'
        # gradients. `PerceptualLoss` is reduced, and shared, by Keras.
        fake = self.generator(low_res, training=True)
        pixel = _pixel_loss(fake, high_res)
        parts = {"pixel_loss": pixel}
        total = self.pixel_weight * pixel
        if self.phase == "gan":
            real_logits = ops.stop_gradient(self.discriminator(high_res, training=True))
            fake_logits = self.discriminator(fake, training=True)
            parts["gan_loss"] = RelativisticAverageLoss(for_generator=True)(
                real_logits, fake_logits
            )
            parts["perceptual_loss"] = ops.mean(self.perceptual_loss(high_res, fake))
            total = total + self.perceptual_weight * parts["perceptual_loss"]
            total = total + self.gan_weight * parts["gan_loss"]
        return total, fake, parts

    def _discriminator_loss(self, high_res, fake):
        real_logits = self.discriminator(high_res, training=True)
        fake_logits = self.discriminator(ops.stop_gradient(fake), training=True)
        return RelativisticAverageLoss(for_generator=False)(real_logits, fake_logits)

    def _step_tensorflow(self, low_res, high_res):
        import tensorflow as tf

        g_vars = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            loss, fake, parts = self._generator_loss(low_res, high_res)
        self.optimizer.apply(tape.gradient(loss, g_vars), g_vars)
        if self.phase == "gan":
            d_vars = self.discriminator.trainable_variables
            with tf.GradientTape() as tape:
                parts["d_loss"] = self._discriminator_loss(high_res, fake)
            self.d_optimizer.apply(tape.gradient(parts["d_loss"], d_vars), d_vars)
        return loss, parts

    def _step_torch(self, low_res, high_res):
        import torch

        def step(loss, model, optimizer):
            variables = model.trainable_variables
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                optimizer.apply([v.value.grad for v in variables], variables)

        loss, fake, parts = self._generator_loss(low_res, high_res)
        step(loss, self.generator, self.optimizer)
        if self.phase == "gan":
            parts["d_loss"] = self._discriminator_loss(high_res, fake.detach())
            step(parts["d_loss"], self.discriminator, self.d_optimizer)
        return loss, parts

    def train_step(self, data: tuple[Tensor, ...]) -> dict[str, Tensor]:
        low_res, high_res = data[0], data[1]
        if keras.backend.backend() == "torch":
            loss, parts = self._step_torch(low_res, high_res)
        else:
            loss, parts = self._step_tensorflow(low_res, high_res)
        # The trackers average the replicas' values: report whole values.
        replicas = num_replicas()
        self.trackers["loss"].update_state(loss * replicas)
        for name, value in parts.items():
            self.trackers[name].update_state(value * replicas)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def test_step(self, data: tuple[Tensor, ...]) -> dict[str, Tensor]:
        low_res, high_res = data[0], data[1]
        fake = self.generator(low_res, training=False)
        pixel = ops.mean(
            ops.abs(ops.cast(fake, "float32") - ops.cast(high_res, "float32"))
        )
        self.trackers["pixel_loss"].update_state(pixel)
        return {"pixel_loss": self.trackers["pixel_loss"].result()}

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(
                    self.discriminator
                ),
                "perceptual_loss": keras.saving.serialize_keras_object(
                    self.perceptual_loss
                ),
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ESRGAN":
        config = dict(config)
        for key in ("generator", "discriminator", "perceptual_loss"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
