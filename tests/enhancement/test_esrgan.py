import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.utils.precision import dtype_policy
from tests.helpers import fast_run_eagerly
from tests.helpers import run_model_test

RNG = np.random.default_rng(0)


def test_discriminator_shapes_and_shared_checks():
    model = kp.models.VGGStyleDiscriminator(input_size=128, filters=4)
    x = RNG.random((2, 128, 128, 3)).astype("float32")
    run_model_test(model, x, (2, 1))
    big = kp.models.VGGStyleDiscriminator(input_size=256, filters=2)
    assert big(np.zeros((1, 256, 256, 3), "float32")).shape == (1, 1)
    assert big.get_layer("flatten").output.shape[-1] == 2 * 8 * 4 * 4
    with pytest.raises(ValueError, match="input_size"):
        kp.models.VGGStyleDiscriminator(input_size=96)


@pytest.mark.extra("torch")
def test_default_discriminator_matches_basicsr_size():
    import torch

    from tests.enhancement.torch_reference import VGGStyleDiscriminator

    reference = VGGStyleDiscriminator()
    expected = sum(p.numel() for p in reference.parameters())
    ours = kp.models.VGGStyleDiscriminator()
    assert sum(int(np.prod(w.shape)) for w in ours.trainable_weights) == expected
    assert reference(torch.zeros(1, 3, 128, 128)).shape == (1, 1)


def relativistic_reference(real, fake, for_generator):
    def bce(x, target):
        p = 1 / (1 + np.exp(-x))
        return -np.mean(np.log(p) if target else np.log(1 - p))

    rf, fr = real - fake.mean(), fake - real.mean()
    if for_generator:
        return 0.5 * (bce(rf, False) + bce(fr, True))
    return 0.5 * (bce(rf, True) + bce(fr, False))


@pytest.mark.parametrize("for_generator", [False, True])
def test_relativistic_average_loss(for_generator):
    real, fake = RNG.normal(size=(6, 1)), RNG.normal(size=(6, 1)) - 1.0
    loss = kp.losses.RelativisticAverageLoss(for_generator=for_generator)
    np.testing.assert_allclose(
        float(loss(real, fake)),
        relativistic_reference(real, fake, for_generator),
        rtol=1e-5,
    )
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss)
    )
    assert restored.for_generator == for_generator


def test_perceptual_loss_uses_features_before_relu():
    loss = kp.losses.PerceptualLoss(weights=None)
    last = loss.extractor.layers[-1].get_layer("block5_conv4")
    assert last.activation is keras.activations.linear
    a, b = RNG.random((2, 32, 32, 3)), RNG.random((2, 32, 32, 3))
    assert float(loss(a, a)) == 0.0 and float(loss(a, b)) > 0.0
    features = np.asarray(loss.extractor(a))
    assert (features < 0).any()  # pre-activation features keep negative values
    after = kp.losses.PerceptualLoss(weights=None, before_activation=False)
    assert (np.asarray(after.extractor(a)) >= 0).all()
    config = loss.get_config()
    assert config["layer"] == "block5_conv4" and config["weights"] is None
    with pytest.raises(ValueError, match="layer"):
        kp.losses.PerceptualLoss(layer="block9_conv1", weights=None)


def tiny_gan():
    generator = kp.models.RRDBNet(num_blocks=1, filters=8, growth=4)
    discriminator = kp.models.VGGStyleDiscriminator(input_size=128, filters=4)
    perceptual = kp.losses.PerceptualLoss(layer="block2_conv2", weights=None)
    return kp.models.ESRGAN(generator, discriminator, perceptual)


def pairs(n=4, rng=RNG):
    high = rng.random((n, 128, 128, 3)).astype("float32")
    low = np.asarray(kp.enhancement.degrade(high, 4))
    return low, high


def test_gan_phase_trains_both_networks():
    model = tiny_gan()
    low, high = pairs()
    model.compile(phase="gan", run_eagerly=fast_run_eagerly())
    g_before = [
        keras.ops.convert_to_numpy(w) for w in model.generator.trainable_weights
    ]
    d_before = [
        keras.ops.convert_to_numpy(w) for w in model.discriminator.trainable_weights
    ]
    history = model.fit(low, high, batch_size=2, epochs=1, verbose=0).history
    for name in ("loss", "pixel_loss", "perceptual_loss", "gan_loss", "d_loss"):
        assert np.isfinite(history[name][0]), name
    assert any(
        not np.array_equal(a, keras.ops.convert_to_numpy(b))
        for a, b in zip(g_before, model.generator.trainable_weights, strict=True)
    )
    # RaGAN compares logits with each other: the last bias cancels out (its
    # gradient is zero up to rounding); every other weight must move.
    for a, b in zip(d_before, model.discriminator.trainable_weights, strict=True):
        if b.path != "linear2/bias":
            assert not np.array_equal(a, keras.ops.convert_to_numpy(b)), b.path


def test_psnr_phase_reduces_the_pixel_loss_and_ema_is_swapped_in():
    model = tiny_gan()
    low, high = pairs(2)
    model.compile(
        phase="psnr",
        generator_optimizer=keras.optimizers.Adam(1e-3),
        run_eagerly=fast_run_eagerly(),
    )
    first = model.evaluate(low, high, verbose=0, return_dict=True)["pixel_loss"]
    model.fit(low, high, batch_size=2, epochs=15, verbose=0)
    assert model.evaluate(low, high, verbose=0, return_dict=True)["pixel_loss"] < first
    ema = tiny_gan()
    ema.compile(phase="psnr", generator_ema=0.5, run_eagerly=fast_run_eagerly())
    ema.fit(low, high, batch_size=2, epochs=2, verbose=0)
    averages = ema.optimizer._model_variables_moving_average
    for weight, average in zip(ema.generator.trainable_weights, averages, strict=True):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(weight), keras.ops.convert_to_numpy(average)
        )


def _generator_step(policy):
    """How far one SGD step moves the generator's weights under `policy`."""
    with dtype_policy(policy):
        keras.utils.set_random_seed(0)
        model = tiny_gan()
        model.compile(
            phase="psnr",
            generator_optimizer=keras.optimizers.SGD(0.1),
            jit_compile=keras.backend.backend() == "jax",
        )
    weights = model.generator.trainable_weights
    before = [keras.ops.convert_to_numpy(w) for w in weights]
    model.train_on_batch(*pairs(2, np.random.default_rng(1)))
    moved = sum(
        np.abs(keras.ops.convert_to_numpy(w) - b).sum()
        for w, b in zip(weights, before, strict=True)
    )
    return moved, model


def test_mixed_float16_scales_the_losses_of_both_networks():
    reference, _ = _generator_step("float32")
    moved, model = _generator_step("mixed_float16")
    # Both optimisers scale the loss (dynamic loss scaling, from 2**15) and
    # unscale the gradients, so one step moves the weights as in float32, up
    # to float16's rounding (0.98-1.0 times as far, measured). A loss left
    # unscaled, its gradients still divided by the scale, moved them 2**15
    # times less (1.1e-5 against 0.39 on TensorFlow before the fix).
    assert 0.8 < moved / reference < 1.25, (moved, reference)
    for optimizer in (model.optimizer, model.d_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
    # bfloat16 has float32's exponent range: nothing to scale.
    _, model = _generator_step("mixed_bfloat16")
    for optimizer in (model.optimizer, model.d_optimizer):
        assert not isinstance(optimizer, keras.optimizers.LossScaleOptimizer)


def test_save_and_load(tmp_path):
    model = tiny_gan()
    low, _ = pairs(1)
    model.save(tmp_path / "esrgan.keras")
    restored = keras.saving.load_model(tmp_path / "esrgan.keras", safe_mode=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(restored(low)),
        keras.ops.convert_to_numpy(model(low)),
        atol=1e-6,
    )
    assert isinstance(restored.discriminator, kp.models.VGGStyleDiscriminator)


def test_compile_errors():
    generator = kp.models.RRDBNet(num_blocks=1, filters=8, growth=4)
    with pytest.raises(ValueError, match="discriminator"):
        kp.models.ESRGAN(generator).compile(phase="gan")
    with pytest.raises(ValueError, match="phase"):
        kp.models.ESRGAN(generator).compile(phase="warmup")


TORCH_SCRIPT = """
import keras, numpy as np, keras_patterns as kp
from tests.enhancement.test_esrgan import tiny_gan, pairs
model = tiny_gan(); low, high = pairs(2)
model.compile(phase="gan")
before = [keras.ops.convert_to_numpy(w) for w in model.discriminator.trainable_weights]
history = model.fit(low, high, batch_size=2, epochs=1, verbose=0).history
assert all(np.isfinite(v[0]) for v in history.values()), history
after = model.discriminator.trainable_weights
moved = [not np.array_equal(a, keras.ops.convert_to_numpy(b))
         or b.path == "linear2/bias"
         for a, b in zip(before, after)]
assert all(moved)
print("torch GAN step ok")
"""


@pytest.mark.extra("torch")
def test_gan_step_on_the_torch_backend():
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    env = dict(os.environ, KERAS_BACKEND="torch", PYTHONPATH=root)
    result = subprocess.run(
        [sys.executable, "-c", TORCH_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=600,
    )
    assert "torch GAN step ok" in result.stdout, result.stderr[-3000:]
