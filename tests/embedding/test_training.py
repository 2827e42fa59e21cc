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
    keras.utils.set_random_seed(7)
    start = training.train_pattern_embedder(
        data["images"], data["pattern"], 1, **arguments
    )
    keras.utils.set_random_seed(8)  # another random initialisation
    again = training.train_pattern_embedder(
        data["images"], data["pattern"], 1, initial=start, **arguments
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
