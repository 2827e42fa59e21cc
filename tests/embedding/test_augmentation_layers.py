"""The augmentation layers Keras lacks, against NumPy, PIL and counted draws.

Frequencies are checked within five binomial standard deviations: with
the fixed seeds they are deterministic, and a correct layer would fail
such a bound with another seed less than once in a million draws.
"""

import io
import itertools

import keras
import numpy as np
import pytest
from PIL import Image

import keras_patterns as kp
from keras_patterns.embedding.augmentation_layers import RandomChannelShuffle
from keras_patterns.embedding.augmentation_layers import RandomGaussianNoise
from keras_patterns.embedding.augmentation_layers import RandomJpegQuality
from keras_patterns.embedding.augmentation_layers import RandomQuarterTurn

RNG = np.random.default_rng(0)


def _within_binomial(count, n, p):
    return abs(count - n * p) <= 5 * np.sqrt(n * p * (1 - p))


def test_quarter_turns_are_np_rot90_equally_often():
    image = RNG.random((5, 5, 2)).astype("float32")  # no symmetry
    batch = np.repeat(image[None], 400, axis=0)
    out = np.asarray(RandomQuarterTurn(seed=1)(batch))
    turns = [np.rot90(image, k, axes=(0, 1)) for k in range(4)]
    found = [[k for k, t in enumerate(turns) if np.array_equal(o, t)] for o in out]
    assert all(len(ks) == 1 for ks in found)  # each output is exactly one turn
    counts = np.bincount([ks[0] for ks in found], minlength=4)
    assert all(_within_binomial(c, 400, 0.25) for c in counts), counts


def test_quarter_turns_need_square_images():
    with pytest.raises(ValueError, match='"images" must be square'):
        RandomQuarterTurn()(np.zeros((1, 4, 5, 3), "float32"))


def test_channel_shuffle_permutes_with_the_given_probability():
    pixel = np.array([0.1, 0.5, 0.9], "float32")
    batch = np.tile(pixel, (600, 2, 2, 1))
    out = np.asarray(RandomChannelShuffle(0.5, seed=2)(batch))
    orders = dict.fromkeys(itertools.permutations(range(3)), 0)
    for o in out:
        matches = [p for p in orders if np.array_equal(o, batch[0][..., list(p)])]
        assert len(matches) == 1  # values moved, never changed
        orders[matches[0]] += 1
    # Unchanged: not shuffled (1/2) or shuffled into the same order (1/12).
    assert _within_binomial(orders[(0, 1, 2)], 600, 0.5 + 0.5 / 6), orders
    assert all(count > 0 for count in orders.values()), orders


def test_noise_strength_is_drawn_per_image_and_clipped():
    grey = np.full((3, 64, 64, 3), 0.5, "float32")
    out = np.asarray(RandomGaussianNoise((0.1, 0.1), seed=3)(grey))
    # 12,288 values per image: the sample deviation is within ~1% of 0.1.
    np.testing.assert_allclose((out - 0.5).std(axis=(1, 2, 3)), 0.1, rtol=0.05)
    bright = np.asarray(RandomGaussianNoise((0.5, 0.5), seed=3)(grey + 0.45))
    assert bright.min() >= 0.0 and bright.max() == 1.0


def test_jpeg_matches_pil_and_respects_the_probability():
    image = kp.datasets.make_pattern_patches(1, (48, 48), seed=1)["images"][0]
    x = (image / 255.0).astype("float32")[None]
    ours = np.asarray(RandomJpegQuality(1.0, (50, 50), seed=0)(x))[0]
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=50)
    pil = np.asarray(Image.open(buffer)) / 255.0
    # Two libjpeg builds: nearly the same artefacts, far from the input.
    assert np.abs(ours - pil).max() <= 4 / 255
    assert np.abs(ours - pil).mean() < 0.5 * np.abs(ours - x[0]).mean()
    batch = np.repeat(x, 200, axis=0)
    out = np.asarray(RandomJpegQuality(0.3, (40, 95), seed=4)(batch))
    changed = int((np.abs(out - batch).max(axis=(1, 2, 3)) > 0).sum())
    assert _within_binomial(changed, 200, 0.3), changed


LAYERS = [
    (RandomChannelShuffle, {"factor": 0.7, "seed": 5}),
    (RandomQuarterTurn, {"seed": 5}),
    (RandomGaussianNoise, {"stddev": (0.01, 0.02), "seed": 5}),
    (RandomJpegQuality, {"factor": 0.5, "quality": (30, 60), "seed": 5}),
]


@pytest.mark.parametrize(
    "cls, kwargs", LAYERS, ids=lambda v: getattr(v, "__name__", "")
)
def test_config_and_keras_file_round_trip(cls, kwargs, tmp_path):
    layer = cls(**kwargs)
    config = layer.get_config()
    assert {k: config[k] for k in kwargs} == {
        k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()
    }
    assert cls.from_config(config).get_config() == config
    model = keras.Sequential([keras.Input((8, 8, 3)), layer])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert type(loaded.layers[0]) is cls
    assert loaded.layers[0].get_config() == config
    x = RNG.random((2, 8, 8, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(loaded(x, training=False)), x)


@pytest.mark.parametrize(
    "cls, kwargs", LAYERS, ids=lambda v: getattr(v, "__name__", "")
)
def test_same_seed_same_draws_single_images_too(cls, kwargs):
    x = RNG.random((4, 8, 8, 3)).astype("float32")
    first = np.asarray(cls(**kwargs)(x))
    np.testing.assert_array_equal(np.asarray(cls(**kwargs)(x)), first)
    assert np.asarray(cls(**kwargs)(x[0])).shape == (8, 8, 3)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: RandomChannelShuffle(1.5), '"factor" must be a probability'),
        (lambda: RandomGaussianNoise((0.2, 0.1)), '"stddev" must be'),
        (lambda: RandomJpegQuality(quality=(0, 50)), '"quality" must be'),
        (lambda: RandomJpegQuality(quality=(40.5, 50)), '"quality" must be two ints'),
    ],
)
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()
