"""PatternEmbedder over real KerasHub backbones, built from config.

A CNN (`ResNetBackbone`, feature maps) is pooled by GeM; a ViT
(`ViTBackbone`, tokens `(batch, 1 + patches, dim)`) by the mean of its
patch tokens, its class token left out. Both are checked against NumPy
pooling of the backbone's own features, and survive `.keras` saving.
"""

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.embedding.embedding_layers import TokenPooling
from tests.helpers import run_layer_test

pytestmark = pytest.mark.extra("hub")

RNG = np.random.default_rng(0)


def to_numpy(x, dtype=None):
    """Any backend's tensor (a PyTorch one may require grad) as NumPy."""
    return np.asarray(keras.ops.convert_to_numpy(x), dtype)


def small_resnet():
    import keras_hub

    return keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[7],
        stackwise_num_filters=[64, 16, 16, 16],
        stackwise_num_blocks=[1, 1, 1, 1],
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="bottleneck_block",
    )


def small_vit(use_class_token=True):
    import keras_hub

    return keras_hub.models.ViTBackbone(
        image_shape=(32, 32, 3),
        patch_size=8,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        mlp_dim=32,
        use_class_token=use_class_token,
    )


def _project(embedder, pooled):
    kernel, bias = embedder.get_layer("projection").get_weights()
    x = pooled @ kernel + bias
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_token_pooling_by_hand():
    tokens = np.array(
        [[[9.0, 9.0], [1.0, -2.0], [3.0, 0.0]], [[0.0, 0.0], [2.0, 2.0], [4.0, 6.0]]]
    )
    pooled = to_numpy(TokenPooling(prefix_tokens=1)(tokens))
    np.testing.assert_allclose(pooled, [[2.0, -1.0], [3.0, 4.0]])
    run_layer_test(
        TokenPooling,
        {"prefix_tokens": 2},
        RNG.random((2, 5, 4)).astype("float32"),
        (2, 4),
        expected_num_trainable_weights=0,
        run_training_check=False,
    )
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="prefix_tokens"):
            TokenPooling(prefix_tokens=bad)
    with pytest.raises(ValueError, match="tokens"):
        TokenPooling(prefix_tokens=3)(tokens)


def test_resnet_backbone_embedder_pools_by_gem_and_saves(tmp_path):
    import keras_hub

    keras.utils.set_random_seed(0)
    backbone = small_resnet()
    converter = keras_hub.layers.ImageConverter(
        scale=[1 / (255 * s) for s in (0.229, 0.224, 0.225)],
        offset=[-m / s for m, s in ((0.485, 0.229), (0.456, 0.224), (0.406, 0.225))],
    )
    embedder = kp.models.PatternEmbedder(
        backbone, embedding_dim=8, preprocessing=converter
    )
    images = RNG.integers(0, 256, (3, 45, 61, 3), dtype=np.uint8)
    vectors = embedder.embed(images)
    # By hand: the backbone on converter-scaled pixels, GeM (p = 3) over
    # height and width, the projection, unit length.
    features = to_numpy(backbone(converter(images.astype("float32"))), "float64")
    gem = np.mean(np.maximum(features, 1e-6) ** 3, axis=(1, 2)) ** (1 / 3)
    np.testing.assert_allclose(vectors, _project(embedder, gem), rtol=1e-4, atol=1e-5)
    assert embedder.embed(np.zeros((1, 57, 91, 3), np.uint8)).shape == (1, 8)

    embedder.save(tmp_path / "resnet_embedder.keras")
    restored = keras.saving.load_model(
        tmp_path / "resnet_embedder.keras", safe_mode=True
    )
    np.testing.assert_array_equal(restored.embed(images), vectors)
    assert restored.get_config()["preprocessing"] == embedder.preprocessing
    assert restored.count_params() == embedder.count_params()


def test_vit_embedder_averages_patch_tokens_and_saves(tmp_path):
    keras.utils.set_random_seed(0)
    backbone = small_vit()
    embedder = kp.models.PatternEmbedder(backbone, embedding_dim=6, preprocessing="tf")
    # The ViT's position embeddings fix its size, so the embedder's too.
    assert embedder.image_shape == (32, 32, 3)
    assert embedder.get_layer("token_pooling").prefix_tokens == 1
    images = RNG.random((4, 32, 32, 3)).astype("float32")
    vectors = embedder.embed(images)
    tokens = to_numpy(backbone(images * 2.0 - 1.0), "float64")
    assert tokens.shape == (4, 1 + 16, 16)  # class token + 4x4 patches
    np.testing.assert_allclose(
        vectors, _project(embedder, tokens[:, 1:].mean(axis=1)), rtol=1e-4, atol=1e-5
    )

    embedder.save(tmp_path / "vit_embedder.keras")
    restored = keras.saving.load_model(tmp_path / "vit_embedder.keras", safe_mode=True)
    np.testing.assert_array_equal(restored.embed(images), vectors)

    with pytest.raises(ValueError, match="images"):
        embedder.embed(np.zeros((1, 48, 48, 3), np.uint8))
    with pytest.raises(ValueError, match="pooling"):
        kp.models.PatternEmbedder(backbone, pooling="gem")
    no_class_token = kp.models.PatternEmbedder(small_vit(use_class_token=False))
    assert no_class_token.get_layer("token_pooling").prefix_tokens == 0
