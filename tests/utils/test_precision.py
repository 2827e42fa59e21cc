import keras
import numpy as np

import keras_patterns as kp
from keras_patterns.utils.inference import predict_batches
from keras_patterns.utils.precision import with_dtype_policy


def test_with_dtype_policy_copies_the_weights_and_computes_in_bfloat16():
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(2),
        ]
    )
    fast = with_dtype_policy(model, "mixed_bfloat16")
    assert [layer.compute_dtype for layer in fast.layers] == ["bfloat16"] * 3
    assert [layer.compute_dtype for layer in model.layers] == ["float32"] * 3
    for ours, theirs in zip(fast.weights, model.weights, strict=True):
        assert ours.dtype == "float32"
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    x = np.random.default_rng(0).random((5, 8, 8, 3), dtype=np.float32)
    expected = keras.ops.convert_to_numpy(model(x))
    got = keras.ops.convert_to_numpy(fast(x)).astype(np.float32)
    assert not np.array_equal(got, expected)  # really rounded to bfloat16
    np.testing.assert_allclose(got, expected, rtol=0.05, atol=0.02)


def test_a_bfloat16_embedder_gives_nearly_the_same_unit_vectors():
    embedder = kp.models.PatternEmbedder("texture_cnn", embedding_dim=8)
    fast = with_dtype_policy(embedder, "mixed_bfloat16")
    patches = kp.datasets.make_pattern_patches(6, (48, 48), seed=0)["images"]
    ours = predict_batches(fast, patches.astype(np.float32) / 255).astype(np.float32)
    theirs = embedder.embed(patches)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-2)
    assert ((ours * theirs).sum(axis=1) > 0.99).all()
