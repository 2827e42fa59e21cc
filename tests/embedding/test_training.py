"""The embedding stage's trainers: labelled and self-supervised triplets."""

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.embedding import training
from keras_patterns.embedding.training import train_embedder_on_patches


def test_train_embedder_on_patches_checks_and_learns():
    with pytest.raises(ValueError, match="patches"):
        train_embedder_on_patches(np.zeros((1, 32, 32, 3), np.uint8))
    with pytest.raises(ValueError, match="patches"):
        train_embedder_on_patches(np.zeros((4, 32, 24, 3), np.uint8))
    patches = kp.datasets.make_pattern_patches(6, (32, 32), seed=3)["images"]
    keras.utils.set_random_seed(0)
    untrained = kp.models.PatternEmbedder("texture_cnn", embedding_dim=16)
    keras.utils.set_random_seed(0)
    trained = train_embedder_on_patches(
        patches, steps=3, p=3, k=2, embedding_dim=16, verbose=0
    )
    untrained.build((None, 32, 32, 3))
    changed = [
        not np.allclose(a, b)
        for a, b in zip(untrained.get_weights(), trained.get_weights(), strict=True)
    ]
    assert any(changed)


@pytest.mark.parametrize("mixed", [False, True])
def test_embedder_recipes_give_float32_models(monkeypatch, mixed):
    """Trained in mixed bfloat16 or not, the model handed back is float32."""
    monkeypatch.setattr(training, "bfloat16_is_fast", lambda: mixed)
    kernel = np.linspace(-1, 1, 256 * 16).reshape(256, 16).astype("float32")
    policies = []

    def fake_fit(siamese, *args, **kwargs):  # "training" writes a known kernel
        projection = siamese.embedder.get_layer("projection")
        policies.append(projection.dtype_policy.name)
        projection.kernel.assign(kernel)

    monkeypatch.setattr(training, "fit_with_budget", fake_fit)
    patches = kp.datasets.make_pattern_patches(6, (32, 32), seed=3)["images"]
    model = train_embedder_on_patches(
        patches, steps=2, p=3, k=2, embedding_dim=16, verbose=0
    )
    assert policies == ["mixed_bfloat16" if mixed else "float32"]
    assert keras.config.dtype_policy().name == "float32"  # restored
    layers = model.layers + model.backbone.layers
    assert {layer.dtype_policy.name for layer in layers} == {"float32"}
    # The trained weights came across.
    np.testing.assert_array_equal(model.get_layer("projection").kernel, kernel)
    vectors = model.embed(patches)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_training_starts_from_initial_weights(monkeypatch):
    """`initial` seeds every weight; an embedder of another shape is refused."""
    seen = []

    def fake_fit(siamese, *args, **kwargs):  # record what training starts from
        seen.append([np.array(w) for w in siamese.embedder.get_weights()])

    monkeypatch.setattr(training, "fit_with_budget", fake_fit)
    monkeypatch.setattr(training, "recalibrate_batch_norm", lambda *a, **k: None)
    data = kp.datasets.make_pattern_patches(8, (40, 40), families=[0, 1], seed=1)
    arguments = {"p": 2, "k": 2, "size": 32, "embedding_dim": 8, "width": 8}
    arguments["verbose"] = 0
    start = training.train_pattern_embedder(
        data["images"], data["pattern"], 1, seed=7, **arguments
    )
    again = training.train_pattern_embedder(  # another random initialisation
        data["images"], data["pattern"], 1, initial=start, seed=8, **arguments
    )
    for initial, started, final in zip(
        start.get_weights(), seen[1], again.get_weights(), strict=True
    ):
        np.testing.assert_allclose(started, initial, rtol=1e-6)
        np.testing.assert_allclose(final, initial, rtol=1e-6)
    other = kp.models.PatternEmbedder("texture_cnn", embedding_dim=16)
    with pytest.raises(ValueError, match='"initial" must have the architecture'):
        training.train_pattern_embedder(
            data["images"], data["pattern"], 1, initial=other, **arguments
        )


def _first_batch(monkeypatch, **kwargs):
    """The first batch `train_pattern_embedder` would train on."""
    batches = []

    def fake_fit(siamese, dataset, *args, **kw):
        batches.append(next(iter(dataset)))

    monkeypatch.setattr(training, "fit_with_budget", fake_fit)
    monkeypatch.setattr(training, "recalibrate_batch_norm", lambda *a, **k: None)
    data = kp.datasets.make_pattern_patches(12, (40, 40), families=[0, 1, 2], seed=1)
    training.train_pattern_embedder(
        data["images"],
        data["pattern"],
        1,
        p=3,
        k=2,
        size=32,
        embedding_dim=8,
        width=8,
        verbose=0,
        **kwargs,
    )
    images, labels = batches[0]
    return np.asarray(images), np.asarray(labels)


def test_instances_join_every_batch_as_pairs_of_their_own(monkeypatch):
    """Two views of each of `instances_per_batch` instances follow the P x K
    crops, labelled apart from every family; both views come from their
    instance (each instance image here is one flat colour of its own, and
    the augmentation only resizes)."""
    from keras_patterns.utils.lazy_tensorflow import tf

    def resize_only(size, **kwargs):
        return lambda images, labels: (tf.image.resize(images, size), labels)

    monkeypatch.setattr(training, "pattern_augmentation", resize_only)
    colours = np.array(
        [[250, 10, 10], [10, 250, 10], [10, 10, 250], [250, 250, 10], [10, 250, 250]],
        np.uint8,
    )
    ids = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4])  # 4 has one crop: left out
    flat = np.broadcast_to(colours[ids][:, None, None], (9, 40, 40, 3)).copy()
    images, labels = _first_batch(
        monkeypatch, instances=(flat, ids), instances_per_batch=3
    )
    assert images.shape == (3 * 2 + 3 * 2, 32, 32, 3)
    family, instance = labels[:6], labels[6:]
    assert set(family) <= {0, 1, 2}
    assert min(instance) >= 3  # above every family label
    values, counts = np.unique(instance, return_counts=True)
    assert len(values) == 3 and set(counts) == {2}
    for value in values:  # both views of an instance show one instance's colour
        views = images[6:][instance == value] * 255
        np.testing.assert_allclose(views[0], views[1], atol=0.5)
        assert np.abs(colours - views[0, 0, 0]).max(axis=1).min() < 0.5


def test_bad_instances_are_refused_by_name(monkeypatch):
    flat = np.zeros((4, 40, 40, 3), np.uint8)
    with pytest.raises(ValueError, match='"instances" must be.*1 ids with two or'):
        _first_batch(monkeypatch, instances=(flat, [0, 1, 2, 2]), instances_per_batch=2)
    with pytest.raises(ValueError, match='"instances" must be.*3 ids for 4 images'):
        _first_batch(monkeypatch, instances=(flat, [0, 0, 1]), instances_per_batch=1)
    with pytest.raises(ValueError, match="instances_per_batch"):
        _first_batch(monkeypatch, instances=(flat, [0, 1, 2, 3]), instances_per_batch=0)


def test_the_seed_fixes_the_initial_weights_and_the_batches(monkeypatch):
    """The same `seed` starts from the same weights and the same batches;
    another seed from others."""
    seen = []

    def fake_fit(siamese, dataset, *args, **kwargs):
        batch = next(iter(dataset))[0]
        seen.append([np.asarray(batch), *siamese.embedder.get_weights()])

    monkeypatch.setattr(training, "fit_with_budget", fake_fit)
    data = kp.datasets.make_pattern_patches(8, (40, 40), families=[0, 1], seed=1)
    arguments = {"p": 2, "k": 2, "size": 32, "embedding_dim": 8, "width": 8}
    for seed in (3, 3, 4):
        keras.utils.set_random_seed(seed + 10)  # what the caller did before
        training.train_pattern_embedder(
            data["images"], data["pattern"], 2, seed=seed, verbose=0, **arguments
        )
    first, same, other = seen
    for a, b in zip(first, same, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])  # the batch
    assert not np.array_equal(first[1], other[1])  # the first kernel


def test_a_frozen_backbone_keeps_its_weights_and_statistics():
    """`train_backbone=False`: only the pooling and projection move; the
    backbone, batch-norm statistics included, is the initial one, and the
    model comes back trainable."""
    data = kp.datasets.make_pattern_patches(8, (40, 40), families=[0, 1], seed=1)
    arguments = {"p": 2, "k": 2, "size": 32, "embedding_dim": 8, "width": 8}
    start = training.train_pattern_embedder(
        data["images"], data["pattern"], 1, seed=0, verbose=0, **arguments
    )
    tuned = training.train_pattern_embedder(
        data["images"],
        data["pattern"],
        3,
        seed=1,
        verbose=0,
        initial=start,
        train_backbone=False,
        **arguments,
    )
    for before, after in zip(
        start.backbone.weights, tuned.backbone.weights, strict=True
    ):
        np.testing.assert_array_equal(before, after)  # moving stats too
    head = tuned.get_layer("projection").kernel
    assert not np.allclose(head, start.get_layer("projection").kernel)
    assert tuned.backbone.trainable and tuned.trainable
