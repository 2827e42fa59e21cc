import warnings

import keras
import numpy as np
import pytest

import keras_patterns as kp
from tests.helpers import fast_run_eagerly
from tests.helpers import run_layer_test
from tests.helpers import run_model_test

RNG = np.random.default_rng(0)


def test_generalized_mean_pooling():
    x = RNG.random((2, 3, 4, 5)).astype("float32")
    out = keras.ops.convert_to_numpy(kp.layers.GeneralizedMeanPooling(p=3.0)(x))
    np.testing.assert_allclose(out, np.mean(x**3, axis=(1, 2)) ** (1 / 3), rtol=1e-5)
    run_layer_test(
        kp.layers.GeneralizedMeanPooling,
        {"p": 2.0},
        x,
        (2, 5),
        expected_num_trainable_weights=1,
    )


def test_image_range_scaling():
    layer = kp.layers.ImageRangeScaling()
    images = np.stack([np.full((4, 4, 3), 255.0), np.full((4, 4, 3), 0.5)]).astype(
        "float32"
    )
    np.testing.assert_allclose(np.asarray(layer(images))[:, 0, 0, 0], [1.0, 0.5])


def test_embedder_shared_checks_and_unit_norm():
    model = kp.models.PatternEmbedder("texture_cnn", embedding_dim=8)
    x = RNG.random((3, 40, 36, 3)).astype("float32")
    run_model_test(model, x, (3, 8), loss="mse")
    vectors = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_uint8_and_float_inputs_agree_and_any_size():
    model = kp.models.PatternEmbedder("texture_cnn", embedding_dim=8)
    images = RNG.integers(0, 256, (2, 48, 48, 3), dtype=np.uint8)
    np.testing.assert_allclose(
        model.embed(images), model.embed(images / 255.0), atol=1e-5
    )
    for size in [(32, 32), (57, 91)]:
        assert model.embed(np.zeros((1, *size, 3), np.uint8)).shape == (1, 8)
    with pytest.raises(ValueError, match="images"):
        model.embed(np.zeros((1, 32, 32, 1), np.uint8))


def test_texture_cnn_ignores_global_colour_and_contrast():
    """Standardising each channel first makes a per-channel affine change
    of the input (another dye, another exposure) invisible to the network."""
    embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=16)
    patch = RNG.uniform(0.1, 0.6, size=(1, 40, 40, 3)).astype("float32")
    recoloured = patch * np.array([0.9, 1.3, 0.7], "float32") + np.array(
        [0.2, -0.05, 0.25], "float32"
    )
    other = RNG.uniform(0.1, 0.6, size=(1, 40, 40, 3)).astype("float32")
    a, b, c = (embedder.embed(x)[0] for x in (patch, recoloured, other))
    assert float(a @ b) > 0.999
    assert float(a @ c) < float(a @ b) - 1e-3
    from keras_patterns.embedding.pattern_embedder import texture_cnn

    plain = texture_cnn(standardize=False)
    assert "standardize" not in [layer.name for layer in plain.layers]


@pytest.mark.parametrize("backbone", ["mobilenet_v2", "efficientnet_b0"])
def test_keras_applications_backbones(backbone):
    model = kp.models.PatternEmbedder(backbone, embedding_dim=4, pooling="avg")
    assert model(np.zeros((1, 32, 32, 3), "float32")).shape == (1, 4)


def test_custom_backbone_and_save_load(tmp_path):
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same")(inputs)
    backbone = keras.Model(inputs, x)
    model = kp.models.PatternEmbedder(backbone, embedding_dim=5, preprocessing="tf")
    x = RNG.random((2, 32, 32, 3)).astype("float32")
    model.save(tmp_path / "embedder.keras")
    restored = keras.saving.load_model(tmp_path / "embedder.keras", safe_mode=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(restored(x)),
        keras.ops.convert_to_numpy(model(x)),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="backbone"):
        kp.models.PatternEmbedder("vgg")
    with pytest.raises(ValueError, match="pooling"):
        kp.models.PatternEmbedder(pooling="max")


def labelled_batches():
    data = kp.datasets.make_pattern_patches(24, (32, 32), views_per_item=4, seed=1)
    return data["images"].astype("float32") / 255.0, data["item_id"]


def test_siamese_on_labelled_batches_logs_health_metrics(tmp_path):
    images, labels = labelled_batches()
    embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=8)
    siamese = kp.models.SiameseModel(embedder)
    siamese.compile(run_eagerly=fast_run_eagerly())
    history = siamese.fit(
        images, labels, batch_size=12, epochs=2, shuffle=False, verbose=0
    )
    logs = history.history
    for name in (
        "loss",
        "positive_distance",
        "negative_distance",
        "active_triplets",
        "recall_at_1",
    ):
        assert np.all(np.isfinite(logs[name])), name
    siamese.save(tmp_path / "siamese.keras")
    with warnings.catch_warnings():  # the custom compile() is restored too
        warnings.filterwarnings("error", message=".*compile")  # Keras: not restored
        restored = keras.saving.load_model(tmp_path / "siamese.keras", safe_mode=True)
    assert restored.compiled and isinstance(
        restored.loss, kp.losses.TripletSemiHardLoss
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(restored(images[:4])),
        keras.ops.convert_to_numpy(siamese(images[:4])),
        atol=1e-5,
    )


def test_siamese_health_metrics_and_loss_by_hand():
    """The default metrics and loss on four 1-D embeddings, worked by hand.

    Points 0, 0.3 (label 0) and 0.5, 1.0 (label 1); squared distances:
    same label d01 = 0.09, d23 = 0.25; across d02 = 0.25, d03 = 1,
    d12 = 0.04, d13 = 0.49. Margin 0.2.
    """
    identity = keras.Sequential([keras.Input((1,)), keras.layers.Identity()])
    siamese = kp.models.SiameseModel(identity)
    siamese.compile(run_eagerly=fast_run_eagerly())
    points = np.array([[0.0], [0.3], [0.5], [1.0]], "float32")
    logs = siamese.evaluate(
        points, np.array([0, 0, 1, 1]), batch_size=4, verbose=0, return_dict=True
    )
    expected = {
        # Ordered pairs: (0.09 * 2 + 0.25 * 2) / 4 and (0.25 + 1 + 0.04 + 0.49) / 4.
        "positive_distance": 0.17,
        "negative_distance": 0.445,
        # d(a,p) - d(a,n) + 0.2 > 0 for (0,1,2): 0.04, (1,0,2): 0.25,
        # (2,3,0): 0.2, (2,3,1): 0.41; not for (0,1,3), (1,0,3), (3,2,0),
        # (3,2,1): 4 active triplets out of 8.
        "active_triplets": 0.5,
        # Nearest other point: 0 -> 1 (same), 1 -> 2, 2 -> 1, 3 -> 2 (same).
        "recall_at_1": 0.5,
        # Semi-hard: each positive pair takes its closest negative farther
        # than the positive, else its farthest negative: (0,1) -> 2: 0.04;
        # (1,0) -> 3: 0; (2,3) -> 0 (none farther than 0.25): 0.2;
        # (3,2) -> 1: 0. Mean over the 4 pairs: 0.24 / 4.
        "loss": 0.06,
    }
    assert logs == pytest.approx(expected, abs=1e-6)


def test_siamese_on_explicit_triplets():
    images, labels = labelled_batches()
    anchors, positives = images[0::4], images[1::4]
    negatives = np.roll(images[2::4], 1, axis=0)
    keras.utils.set_random_seed(0)
    embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=8)
    siamese = kp.models.SiameseModel(embedder)
    siamese.compile(triplets=True, margin=0.5, run_eagerly=fast_run_eagerly())
    assert siamese((anchors, positives, negatives)).shape == (6, 3, 8)
    # Six fixed triplets are learnable: four steps (one batch an epoch) take
    # the loss from 0.3-0.5 to under half of it (to 0, in practice).
    logs = siamese.fit(
        (anchors, positives, negatives), epochs=4, batch_size=6, verbose=0
    ).history
    assert logs["loss"][0] > 0.1 and "active_triplets" in logs
    assert logs["loss"][-1] < 0.5 * logs["loss"][0]


def test_training_separates_patterns():
    """A few hundred steps put same-family patches closer than others."""
    data = kp.datasets.make_pattern_patches(
        96,
        (32, 32),
        views_per_item=1,
        seed=2,
        families=["horizontal_stripes", "polka_dots", "houndstooth"],
    )
    images, labels = data["images"].astype("float32") / 255.0, data["pattern"]
    keras.utils.set_random_seed(0)
    embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=16)
    siamese = kp.models.SiameseModel(embedder)
    siamese.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = kp.metrics.evaluate_retrieval(
        None, (embedder.embed(images), labels), ks=(1,)
    )
    siamese.fit(images, labels, batch_size=48, epochs=25, verbose=0)
    after = kp.metrics.evaluate_retrieval(
        None, (embedder.embed(images), labels), ks=(1,)
    )
    assert after["map@r"] > max(0.6, before["map@r"] + 0.3)
