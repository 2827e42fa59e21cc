"""Trains with every loss on one device and on two replicas; prints JSON.

    KERAS_BACKEND=tensorflow python tests/multi_device_check.py
    KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \
        python tests/multi_device_check.py

Run by `tests/test_multi_device.py`, one process per backend: TensorFlow's
logical CPU devices and JAX's host devices must be set before either
initialises. For every loss (and Keras' own sparse cross-entropy, the
control), and for ESRGAN's own train step, a tiny model
starts from the same weights and takes `STEPS` SGD steps (one-batch epochs
of `fit`) on the same global batch, once without a distribution and once
with `data_parallel(2)`; the JSON line holds what `fit` reports and the
largest weight difference between the runs.
"""

import json
import sys
import time

import keras
import numpy as np

import keras_patterns as kp
from keras_patterns.utils.distribution import data_parallel
from keras_patterns.utils.distribution import distribution_scope

STEPS = 2
BATCH = 16
LEARNING_RATE = 0.1
# Triplets: each replica's shard (a half of the batch) holds two examples
# of each of 4 labels, the labels' pairs far apart (3 units) and the two
# examples of a pair close. The second shard sits on the first one's
# points with its labels shifted by one: each anchor's closest negatives
# lie in the other shard, so a shard-local loss is about 0 and the global
# one is not.
CENTRES = 3.0 * np.eye(4, dtype="float32")
SHARD_LABELS = np.array([0, 0, 1, 1, 2, 2, 3, 3])
TRIPLET_LABELS = np.concatenate([SHARD_LABELS, (SHARD_LABELS + 1) % 4])


def _triplet_batch(rng):
    points = np.concatenate([CENTRES[SHARD_LABELS]] * 2)
    return points + rng.normal(0.0, 0.3, points.shape).astype("float32")


def _embedding_model():
    """Embeddings equal to the inputs at the start."""
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(4, kernel_initializer="identity")]
    )


def _loss_case(build_model, build_loss, x, y, rate=LEARNING_RATE):
    """A model compiled with a loss: `(build, x, y)`, see `_train`."""

    def build():
        model, loss = build_model(), build_loss()
        parts = [model] + ([loss.extractor] if hasattr(loss, "extractor") else [])
        compiled = {"optimizer": keras.optimizers.SGD(rate), "loss": loss}
        return model, parts, compiled, loss

    return build, x, y


def _esrgan_case(rng):
    """ESRGAN's own train step, GAN phase: L1 + perceptual + RaGAN, two nets."""

    def build():
        generator = kp.models.RRDBNet(4, num_blocks=1, filters=4, growth=4)
        # The VGG-style discriminator's batch norm normalises each replica's
        # shard apart, which no loss can undo; this one has none.
        discriminator = keras.Sequential(
            [
                keras.Input((32, 32, 3)),
                keras.layers.Conv2D(4, 3, strides=4, activation="relu"),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(1),
            ]
        )
        perceptual = kp.losses.PerceptualLoss(layer="block1_conv2", weights=None)
        model = kp.models.ESRGAN(generator, discriminator, perceptual)
        compiled = {
            "phase": "gan",
            # The random VGG19 features are large: a smaller step.
            "generator_optimizer": keras.optimizers.SGD(0.01),
            "discriminator_optimizer": keras.optimizers.SGD(LEARNING_RATE),
        }
        return model, [generator, discriminator, perceptual.extractor], compiled, None

    high = rng.random((8, 32, 32, 3)).astype("float32")
    high[4:] *= 0.5  # shards of different statistics
    return build, np.asarray(kp.enhancement.degrade(high, 4)), high


def _cases(rng):
    """`name: (build, x, y)` for every loss checked."""

    def dense(shape, units):
        """A builder of a one-layer model (each run builds its own)."""
        return lambda: keras.Sequential([keras.Input(shape), keras.layers.Dense(units)])

    pixels = rng.integers(0, 3, (BATCH, 4, 4))
    # The first shard is mostly ignored pixels, and its larger logits give
    # larger losses: a per-shard mean would weigh its few valid pixels as
    # much as the second shard's many.
    pixels[: BATCH // 2][rng.random((BATCH // 2, 4, 4)) < 0.8] = 255
    pixel_x = rng.normal(size=(BATCH, 4, 4, 2)).astype("float32")
    pixel_x[: BATCH // 2] *= 4.0
    triplet_x = _triplet_batch(rng)
    # Shards of different mean logits, real and fake.
    real_logits = rng.normal(1.0, 1.0, (BATCH, 1)).astype("float32")
    real_logits[BATCH // 2 :] += 3.0
    gan_x = rng.normal(size=(BATCH, 5)).astype("float32")
    gan_x[BATCH // 2 :] += 2.0
    images = rng.random((BATCH // 2, 16, 16, 3)).astype("float32")
    targets = rng.random((BATCH // 2, 16, 16, 3)).astype("float32")
    conv = lambda: keras.Sequential(  # noqa: E731
        [keras.Input((16, 16, 3)), keras.layers.Conv2D(3, 3, padding="same")]
    )
    return {
        "keras_sparse_categorical_crossentropy": _loss_case(
            dense((4,), 3),
            lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            rng.normal(size=(BATCH, 4)).astype("float32"),
            rng.integers(0, 3, BATCH),
        ),
        "masked_sparse_categorical_crossentropy": _loss_case(
            dense((4, 4, 2), 3),
            lambda: kp.losses.MaskedSparseCategoricalCrossentropy(
                class_weights=[1.0, 2.0, 0.5]
            ),
            pixel_x,
            pixels,
        ),
        "triplet_semihard": _loss_case(
            _embedding_model,
            lambda: kp.losses.TripletSemiHardLoss(margin=1.0),
            triplet_x,
            TRIPLET_LABELS,
        ),
        "triplet_hard": _loss_case(
            _embedding_model,
            lambda: kp.losses.TripletHardLoss(margin=1.0),
            triplet_x,
            TRIPLET_LABELS,
        ),
        "triplet_batch_all": _loss_case(
            _embedding_model,
            lambda: kp.losses.TripletBatchAllLoss(margin=1.0),
            triplet_x,
            TRIPLET_LABELS,
        ),
        "triplet_explicit": _loss_case(
            dense((3, 6), 4),
            lambda: kp.losses.TripletLoss(margin=1.0),
            rng.normal(size=(BATCH, 3, 6)).astype("float32"),
            np.zeros(BATCH, "int32"),
        ),
        "relativistic_discriminator": _loss_case(
            dense((5,), 1),
            lambda: kp.losses.RelativisticAverageLoss(for_generator=False),
            gan_x,
            real_logits,
        ),
        "relativistic_generator": _loss_case(
            dense((5,), 1),
            lambda: kp.losses.RelativisticAverageLoss(for_generator=True),
            gan_x,
            real_logits,
        ),
        # VGG19 with random weights (nothing can be downloaded) on 16x16
        # images, a smaller batch; at block5 random features are tiny, so an
        # earlier layer moves the weights visibly, and its large values want
        # a smaller step.
        "perceptual": _loss_case(
            conv,
            lambda: kp.losses.PerceptualLoss(layer="block2_conv2", weights=None),
            images,
            targets,
            rate=0.002,
        ),
        # The GAN phase reports the PSNR phase's L1 too.
        "esrgan_gan": _esrgan_case(rng),
    }


def _train(build, x, y, start, distribution):
    """Trains from `start`; the reported metrics per step, and the weights."""
    with distribution_scope(distribution):
        model, parts, compiled, _ = build()
        for part, weights in zip(parts, start, strict=True):
            part.set_weights(weights)
        model.compile(**compiled)
        # `fit` splits each global batch between the replicas;
        # `train_on_batch` would give every replica the whole batch.
        history = model.fit(
            x, y, batch_size=len(x), epochs=STEPS, shuffle=False, verbose=0
        )
    logs = {k: [float(v) for v in values] for k, values in history.history.items()}
    return logs, [w for part in parts for w in part.get_weights()]


def _shard_values(loss, model, x, y):
    """The loss of the whole batch, and the mean of its two halves' losses."""
    y_pred = model.predict(x, verbose=0)
    half = len(x) // 2
    whole = float(loss(y, y_pred))
    shards = [float(loss(y[s], y_pred[s])) for s in (slice(0, half), slice(half, None))]
    return whole, sum(shards) / 2, y_pred


def _largest_difference(first, second):
    return max(float(np.abs(a - b).max()) for a, b in zip(first, second, strict=True))


def check(name, case, distribution):
    """Trains `case` on one device and with `distribution`; a dict for JSON."""
    began = time.perf_counter()
    build, x, y = case
    model, parts, _, loss = build()
    start = [part.get_weights() for part in parts]
    one, weights_one = _train(build, x, y, start, None)
    two, weights_two = _train(build, x, y, start, distribution)
    result = {
        "one_device": one["loss"],
        "two_replicas": two["loss"],
        "logs_one_device": one,
        "logs_two_replicas": two,
        "max_weight_difference": _largest_difference(weights_one, weights_two),
        "max_weight_change": _largest_difference(
            weights_one, [w for weights in start for w in weights]
        ),
    }
    if loss is not None:
        whole, shards, y_pred = _shard_values(loss, model, x, y)
        result.update(whole_batch=whole, mean_of_shards=shards)
        if name in ("triplet_semihard", "triplet_hard", "triplet_batch_all"):
            result["labels"] = [int(v) for v in y]
            result["embeddings"] = np.asarray(y_pred, "float64").tolist()
    result["seconds"] = round(time.perf_counter() - began, 1)
    return result


def check_recipe(distribution):
    """`train_embedder` on the replicas, tiny; what the test asserts on."""
    from keras_patterns.apps.recipes import train_embedder

    began = time.perf_counter()
    embedder = train_embedder(
        steps=1, items=32, size=32, k=2, width=8, verbose=0, distribution=distribution
    )
    patches = kp.datasets.make_pattern_patches(4, (32, 32), seed=1)["images"]
    vectors = embedder.embed(patches)
    return {
        "replicas": len(getattr(embedder.weights[0].value, "values", [None])),
        "finite": bool(np.isfinite(vectors).all()),
        "shape": list(vectors.shape),
        "seconds": round(time.perf_counter() - began, 1),
    }


def main():
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        sys.exit("set KERAS_BACKEND to tensorflow or jax")
    distribution = data_parallel(2)  # before TensorFlow initialises its devices
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    results = {
        name: check(name, case, distribution) for name, case in _cases(rng).items()
    }
    report = {"backend": backend, "results": results}
    if backend == "tensorflow":
        report["devices"] = distribution.num_replicas_in_sync
        # A recipe on the replicas (on JAX it takes 20 s: not checked here).
        report["recipe"] = check_recipe(distribution)
    else:
        report["devices"] = distribution.device_mesh.devices.size
    print(json.dumps(report))


if __name__ == "__main__":
    main()
