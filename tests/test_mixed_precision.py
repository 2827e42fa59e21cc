"""Every trainable model trains under mixed precision as it does in float32.

Each case trains a tiny model on a fixed, learnable batch, from the same
seed, under float32, mixed_float16 and mixed_bfloat16, and compares how far
the loss falls.
"""

import functools

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.utils.precision import dtype_policy

# Dynamic loss scaling (mixed_float16) starts at 2**15 and, whenever the
# scaled gradients overflow float16, halves the scale and skips the step:
# at most 15 steps before the scale is 1. The runs are compared after as
# many *applied* steps.
MAX_SKIPPED = 15
# The ratio final / initial loss of a mixed run may differ from float32's
# by the rounding of the compute dtype, a relative u = 2**-11 (float16) or
# 2**-8 (bfloat16) per operation, which adds up over the ~20 layers of these
# networks: 20u = 0.01 and 0.08. float16 gets twice its share, as on GPUs
# the float32 reference runs its matrix products in TensorFloat-32, whose
# mantissa is float16's. Measured on CPUs, on the three backends: gaps up
# to 0.006 (float16) and 0.016 (bfloat16).
TOLERANCE = {"mixed_float16": 0.02, "mixed_bfloat16": 0.08}
# XLA-compiling each tiny model would take longer than its steps on
# TensorFlow; JAX steps want jit.
JIT = keras.backend.backend() == "jax"


def _segmenter():
    """DeepLabV3+'s head on a 4-convolution backbone: one square to find."""
    rng = np.random.default_rng(0)
    images = rng.uniform(0.0, 0.3, (2, 32, 32, 3)).astype("float32")
    labels = np.zeros((2, 32, 32), "int32")
    for i, (top, left) in enumerate([(4, 8), (12, 2)]):
        images[i, top : top + 16, left : left + 16] += [0.6, 0.2, 0.0]
        labels[i, top : top + 16, left : left + 16] = 1
    inputs = keras.Input((None, None, 3))
    x = inputs
    for name, filters in [("s2", 8), ("s4", 8), ("s8", 16), ("s16", 16)]:
        x = keras.layers.Conv2D(filters, 3, strides=2, padding="same", name=name)(x)
    model = kp.models.DeepLabV3Plus(
        2,
        backbone=keras.Model(inputs, x),
        low_level_feature="s4",
        high_level_feature="s16",
        aspp_filters=8,
        decoder_filters=8,
        low_level_filters=4,
        aspp_dropout=0.0,  # the same steps under every policy
    )
    model.compile(keras.optimizers.Adam(3e-3), metrics=[], jit_compile=JIT)
    return model, model.optimizer, (images, labels), "loss"


def _embedder():
    """The texture CNN under a triplet loss: six triplets to order."""
    data = kp.datasets.make_pattern_patches(6, (32, 32), views_per_item=3, seed=1)
    images = data["images"].astype("float32") / 255.0
    triplets = (images[0::3], images[1::3], np.roll(images[2::3], 1, axis=0))
    model = kp.models.SiameseModel(
        kp.models.PatternEmbedder("texture_cnn", embedding_dim=8)
    )
    # Squared distances of unit vectors lie in [0, 4]: with a margin of 5
    # every triplet stays active and the loss falls smoothly, not to 0 at once.
    model.compile(
        keras.optimizers.Adam(1e-5),
        triplets=True,
        margin=5.0,
        metrics=[],
        jit_compile=JIT,
    )
    return model, model.optimizer, (triplets, None), "loss"


def _pairs(size):
    high = np.random.default_rng(0).random((2, size, size, 3)).astype("float32")
    return np.asarray(kp.enhancement.degrade(high, 4)), high


def _generator():
    """ESRGAN's PSNR phase: the generator alone, under L1."""
    model = kp.models.ESRGAN(kp.models.RRDBNet(num_blocks=1, filters=8, growth=4))
    model.compile(
        phase="psnr",
        generator_optimizer=keras.optimizers.Adam(3e-3),
        jit_compile=JIT,
    )
    return model, model.optimizer, _pairs(32), "pixel_loss"


def _discriminator():
    """ESRGAN's GAN phase with the generator held still (a zero step)."""
    model = kp.models.ESRGAN(
        kp.models.RRDBNet(num_blocks=1, filters=4, growth=4),
        kp.models.VGGStyleDiscriminator(filters=4),
        # The generator does not learn here: a cheap stand-in for VGG19.
        perceptual_loss=keras.losses.MeanAbsoluteError(),
    )
    model.compile(
        phase="gan",
        # A still generator gives the discriminator the same task at every
        # step, skipped or not.
        generator_optimizer=keras.optimizers.SGD(0.0),
        discriminator_optimizer=keras.optimizers.Adam(1e-5),
        jit_compile=JIT,
    )
    return model, model.d_optimizer, _pairs(128), "d_loss"


# name: (build, applied steps, largest ratio final / initial loss allowed);
# float32 reaches 0.39-0.49 (segmenter), 0.36-0.55 (embedder), 0.55-0.78
# (generator) and 0.21-0.34 (discriminator) on the three backends.
CASES = {
    "segmenter": (_segmenter, 8, 0.65),
    "embedder": (_embedder, 4, 0.7),
    "generator": (_generator, 8, 0.85),
    "discriminator": (_discriminator, 8, 0.5),
}


@functools.cache
def _loss_ratio(case, policy):
    """Loss after the case's applied steps over the first loss, under `policy`."""
    build, steps, _ = CASES[case]
    with dtype_policy(policy):
        keras.utils.set_random_seed(0)
        model, optimizer, (x, y), name = build()
        losses = []
        for _ in range(steps + MAX_SKIPPED + 1):
            applied = int(optimizer.iterations)
            # The loss logged is the one of the weights before the step.
            losses.append(float(model.train_on_batch(x, y, return_dict=True)[name]))
            if applied == steps:
                return losses[-1] / losses[0]
    raise AssertionError(f"{case} under {policy}: {steps} steps not applied {losses}")


@pytest.mark.parametrize("policy", sorted(TOLERANCE))
@pytest.mark.parametrize("case", sorted(CASES))
def test_loss_falls_as_in_float32(case, policy):
    largest = CASES[case][2]
    reference = _loss_ratio(case, "float32")
    ratio = _loss_ratio(case, policy)
    assert reference < largest and ratio < largest, (reference, ratio)
    assert abs(ratio - reference) <= TOLERANCE[policy], (reference, ratio)
    assert keras.config.dtype_policy().name == "float32"
