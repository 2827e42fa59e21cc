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


def _pixel_loss(fake, real):
    """This replica's share of the L1 distance over the global batch."""
    error = ops.abs(ops.cast(fake, "float32") - ops.cast(real, "float32"))
    return global_mean(ops.sum(error), ops.size(error))


def _minimize_tensorflow(optimizer, variables, compute):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss, extras = compute()
        scaled = optimizer.scale_loss(loss)
    optimizer.apply(tape.gradient(scaled, variables), variables)
    return loss, extras


def _minimize_torch(optimizer, variables, compute):
    import torch

    for variable in variables:
        variable.value.grad = None
    loss, extras = compute()
    optimizer.scale_loss(loss).backward()
    with torch.no_grad():
        optimizer.apply([v.value.grad for v in variables], variables)
    return loss, extras


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

    `fit` trains on TensorFlow, JAX and PyTorch: the losses are written once
    with `keras.ops` and each backend differentiates them its own way
    (`GradientTape`, `jax.value_and_grad` in a stateless step, autograd).
    Under the `"mixed_float16"` dtype policy both optimisers are wrapped in
    a `keras.optimizers.LossScaleOptimizer`, as `keras.Model.compile` does,
    and each loss is scaled before it is differentiated; the losses are
    computed in float32 under every policy.

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
    `gan.compile(phase="gan")` for the adversarial phase.

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
            discriminator_optimizer: default Adam(1e-4, beta_2=0.99). Under
                the `"mixed_float16"` policy it is wrapped in a
                `LossScaleOptimizer`, as Keras wraps the generator's.
            pixel_weight: weight of L1: 1 in the PSNR phase, 1e-2 in the GAN
                phase by default.
            perceptual_weight: weight of the perceptual loss (GAN phase).
            gan_weight: weight of the generator's RaGAN loss (GAN phase).
            generator_ema: `None`, or the decay (e.g. 0.999) of an exponential
                moving average of the generator weights, used when `fit` ends.
            **kwargs: other `keras.Model.compile` arguments.
        """
        check_choice(phase, PHASES, "phase")
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
        self.d_optimizer = self._loss_scaled(
            discriminator_optimizer or keras.optimizers.Adam(1e-4, beta_2=0.99),
            kwargs.get("auto_scale_loss", True),
        )
        generator_optimizer = generator_optimizer or keras.optimizers.Adam(
            1e-4 if gan else 2e-4, beta_2=0.99, **ema
        )
        names = ["loss", "pixel_loss"] + (
            ["perceptual_loss", "gan_loss", "d_loss"] if gan else []
        )
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        super().compile(optimizer=generator_optimizer, **kwargs)
        self._build_optimizers()
        # `fit` ends by finalising the optimiser over all trainable weights,
        # discriminator included; only the generator's have averages.
        optimizer = self.optimizer
        finalize = type(optimizer).finalize_variable_values
        optimizer.finalize_variable_values = lambda _: finalize(
            optimizer, self.generator.trainable_variables
        )

    def _loss_scaled(self, optimizer, auto_scale_loss):
        """`optimizer`, in a `LossScaleOptimizer` under `"mixed_float16"`.

        What `keras.Model.compile` does to the model's (the generator's)
        optimiser, for the discriminator's.
        """
        if (
            auto_scale_loss
            and self.dtype_policy.name == "mixed_float16"
            and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        ):
            return keras.optimizers.LossScaleOptimizer(
                optimizer, name="discriminator_loss_scale_optimizer"
            )
        return optimizer

    def _build_optimizers(self):
        # Each optimiser holds the state of its own network's weights only
        # (`fit` would build the generator's on every trainable weight): JAX's
        # stateless step applies each to exactly those.
        networks = [(self.optimizer, self.generator)]
        if self.phase == "gan":
            networks.append((self.d_optimizer, self.discriminator))
        for optimizer, network in networks:
            if not optimizer.built and network.built:
                optimizer.build(network.trainable_variables)

    @property
    def non_trainable_variables(self) -> list[keras.Variable]:
        """The networks' non-trainable state, and the discriminator optimiser's.

        The discriminator's optimiser state counts in the GAN phase: JAX's
        `fit` carries a model's state through its stateless steps, with room
        for one optimiser (the generator's). It is not saved with the model.
        """
        variables = super().non_trainable_variables
        if getattr(self, "phase", None) == "gan" and self.d_optimizer is not None:
            variables = variables + self.d_optimizer.variables
        return variables

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
        return total, (fake, parts)

    def _discriminator_loss(self, high_res, fake):
        real_logits = self.discriminator(high_res, training=True)
        fake_logits = self.discriminator(ops.stop_gradient(fake), training=True)
        loss = RelativisticAverageLoss(for_generator=False)(real_logits, fake_logits)
        return loss, None

    def _minimize(self, optimizer, variables, compute):
        """One step of `optimizer` on `variables` down the loss of `compute`.

        `compute()` returns `(loss, extras)`; the loss is scaled by the
        optimiser (a `LossScaleOptimizer` unscales the gradients) before it
        is differentiated. Returns `(loss, extras)`.
        """
        backend = keras.backend.backend()
        if backend == "jax":
            return self._minimize_jax(optimizer, variables, compute)
        if backend == "torch":
            return _minimize_torch(optimizer, variables, compute)
        return _minimize_tensorflow(optimizer, variables, compute)

    def _minimize_jax(self, optimizer, variables, compute):
        # Runs inside the step's `StatelessScope` (`_stateless_step`): reading
        # a variable gives its value in this step, assigning records it.
        import jax

        states = self.non_trainable_variables
        current = [(v, v.value) for v in self.trainable_variables + states]

        def scaled_loss(values):
            mapping = current + list(zip(variables, values, strict=True))
            with keras.StatelessScope(state_mapping=mapping) as scope:
                loss, extras = compute()
            updates = [scope.get_current_value(v) for v in states]
            return optimizer.scale_loss(loss), (loss, extras, updates)

        values = [v.value for v in variables]
        gradient = jax.value_and_grad(scaled_loss, has_aux=True)
        (_, (loss, extras, updates)), grads = gradient(values)
        new_values, slots = optimizer.stateless_apply(
            [v.value for v in optimizer.variables], grads, values
        )
        # Batch-norm statistics first: the new optimiser state comes after.
        for variable, value in zip(
            states + variables + optimizer.variables,
            updates + new_values + slots,
            strict=True,
        ):
            variable.assign(value)
        return loss, extras

    def _stateless_step(self, step, args, training):
        """`step(data)`; on JAX, `(logs, new_state)` of `step` run on `state`.

        JAX's `fit` calls `train_step(state, data)`, `evaluate` calls
        `test_step(state, data)`, with the values of the model's variables
        (trainable, non-trainable, the optimiser's for training, metrics').
        """
        if keras.backend.backend() != "jax":
            return step(args[0])
        state, data = args
        groups = [self.trainable_variables, self.non_trainable_variables]
        groups += [self.optimizer.variables] if training else []
        groups += [self.metrics_variables]
        mapping = [
            pair
            for group, values in zip(groups, state, strict=True)
            for pair in zip(group, values, strict=True)
        ]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = step(data)
        new_state = tuple([scope.get_current_value(v) for v in g] for g in groups)
        return logs, new_state

    def _train(self, data):
        low_res, high_res = data[0], data[1]
        loss, (fake, parts) = self._minimize(
            self.optimizer,
            self.generator.trainable_variables,
            lambda: self._generator_loss(low_res, high_res),
        )
        if self.phase == "gan":
            parts["d_loss"], _ = self._minimize(
                self.d_optimizer,
                self.discriminator.trainable_variables,
                lambda: self._discriminator_loss(high_res, fake),
            )
        # The trackers average the replicas' values: report whole values.
        replicas = num_replicas()
        self.trackers["loss"].update_state(loss * replicas)
        for name, value in parts.items():
            self.trackers[name].update_state(value * replicas)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def _test(self, data):
        low_res, high_res = data[0], data[1]
        fake = self.generator(low_res, training=False)
        pixel = ops.mean(
            ops.abs(ops.cast(fake, "float32") - ops.cast(high_res, "float32"))
        )
        self.trackers["pixel_loss"].update_state(pixel)
        return {"pixel_loss": self.trackers["pixel_loss"].result()}

    def train_step(self, *args: Any) -> Any:
        """`train_step(data)`, or `train_step(state, data)` on JAX."""
        return self._stateless_step(self._train, args, training=True)

    def test_step(self, *args: Any) -> Any:
        """`test_step(data)`, or `test_step(state, data)` on JAX."""
        return self._stateless_step(self._test, args, training=False)

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
