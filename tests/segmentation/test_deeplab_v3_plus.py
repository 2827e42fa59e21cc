import warnings

import keras
import numpy as np
import pytest

import keras_patterns as kp
from tests.helpers import fast_run_eagerly
from tests.helpers import run_model_test

SMALL = {"aspp_filters": 8, "decoder_filters": 8, "low_level_filters": 4}


@pytest.fixture(scope="module")
def small_model():
    return kp.models.DeepLabV3Plus(5, backbone="mobilenet_v2", **SMALL)


def test_shared_checks_mobilenet():
    model = kp.models.DeepLabV3Plus(3, backbone="mobilenet_v2", **SMALL)
    x = np.random.default_rng(0).random((2, 40, 36, 3)).astype("float32")
    restored_model = run_model_test(model, x, (2, 40, 36, 3))
    assert restored_model.num_classes == 3


def test_any_input_size(small_model):
    for shape in [(1, 100, 100, 3), (2, 37, 53, 3), (1, 16, 16, 3)]:
        assert small_model(np.zeros(shape, "float32")).shape == shape[:3] + (5,)
    assert str(small_model.output.dtype) == "float32"


def _aspp_input_side(model, size):
    probe = keras.Model(model.input, model.get_layer("aspp").input)
    return probe(np.zeros((1, size, size, 3), "float32")).shape[1]


@pytest.mark.parametrize("backbone", ["resnet50", "mobilenet_v2"])
@pytest.mark.parametrize("stride", [16, 8])
def test_output_stride_is_real(backbone, stride):
    model = kp.models.DeepLabV3Plus(2, backbone=backbone, output_stride=stride, **SMALL)
    assert _aspp_input_side(model, 128) == 128 // stride
    assert model.aspp_rates == {16: (6, 12, 18), 8: (12, 24, 36)}[stride]


def test_resnet50_keeps_all_four_stages_dilated():
    model = kp.models.DeepLabV3Plus(9, backbone="resnet50", output_stride=16)
    encoder = model.backbone
    names = {layer.name for layer in encoder.layers}
    for stage, blocks in [(2, 3), (3, 4), (4, 6), (5, 3)]:
        assert all(f"conv{stage}_block{b}_out" in names for b in range(1, blocks + 1))
    assert encoder.outputs[1].shape[-1] == 2048
    assert encoder.get_layer("conv5_block1_1_conv").strides == (1, 1)
    assert encoder.get_layer("conv5_block2_2_conv").dilation_rate == (2, 2)
    assert encoder.get_layer("conv4_block1_1_conv").strides == (2, 2)
    reference = keras.applications.ResNet50(include_top=False, weights=None)
    assert encoder.count_params() == reference.count_params()
    # The head by hand: convolutions without bias, each followed by a batch
    # norm of 4 parameters per channel (gamma, beta, moving mean and
    # variance); 2048 channels in the ASPP, 256 in the low-level features.
    bn = 4
    aspp = (
        (2048 * 256 + bn * 256)  # 1x1 branch
        + 3 * (3 * 3 * 2048 * 256 + bn * 256)  # rates 6, 12, 18
        + (2048 * 256 + bn * 256)  # image pooling
        + (5 * 256 * 256 + bn * 256)  # projection of the 5 branches
    )
    decoder = (
        (256 * 48 + bn * 48)  # low-level 1x1 to 48 channels
        + (3 * 3 * (256 + 48) * 256 + bn * 256)  # block 1 on the concatenation
        + (3 * 3 * 256 * 256 + bn * 256)  # block 2
        + (256 * 9 + 9)  # logits, with bias
    )
    assert (aspp, decoder) == (15_538_176, 1_307_081)
    assert model.count_params() == reference.count_params() + aspp + decoder


def test_backbone_weights_load_by_name(tmp_path):
    reference = keras.applications.ResNet50(include_top=False, weights=None)
    path = str(tmp_path / "resnet50_notop.weights.h5")
    reference.save_weights(path)
    model = kp.models.DeepLabV3Plus(
        4, backbone="resnet50", backbone_weights=path, **SMALL
    )
    compared = 0
    for layer in reference.layers:
        if layer.weights:
            ours = model.backbone.get_layer(layer.name).get_weights()
            for a, b in zip(ours, layer.get_weights(), strict=True):
                np.testing.assert_array_equal(a, b)
            compared += 1
    assert compared > 100
    assert model.get_config()["backbone_weights"] is None
    with pytest.raises(ValueError, match="backbone_weights"):
        kp.models.DeepLabV3Plus(4, backbone="resnet50", backbone_weights="weights.bin")


def test_custom_backbone_by_layer_names():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="s2")(inputs)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="s4")(x)
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", name="s8")(x)
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", name="s16")(x)
    backbone = keras.Model(inputs, x, name="tiny")
    model = kp.models.DeepLabV3Plus(
        3, backbone=backbone, low_level_feature="s4", high_level_feature="s16", **SMALL
    )
    assert model.output_stride == 16
    # Parameters by hand: 3x3 convolutions with bias in the backbone; in the
    # head, convolutions without bias + batch norm (4 per channel), SMALL
    # widths (ASPP 8, decoder 8, low level 4), 16 channels in, 8 low level.
    backbone_params = (
        (3 * 3 * 3 * 8 + 8)
        + (3 * 3 * 8 * 8 + 8)
        + (3 * 3 * 8 * 16 + 16)
        + (3 * 3 * 16 * 16 + 16)
    )  # 224 + 584 + 1168 + 2320
    aspp = (16 * 8 + 32) + 3 * (3 * 3 * 16 * 8 + 32) + (16 * 8 + 32) + (5 * 8 * 8 + 32)
    decoder = (8 * 4 + 16) + (3 * 3 * 12 * 8 + 32) + (3 * 3 * 8 * 8 + 32) + (8 * 3 + 3)
    assert (backbone_params, aspp, decoder) == (4296, 4224, 1579)
    assert model.count_params() == backbone_params + aspp + decoder
    assert model(np.zeros((1, 50, 30, 3), "float32")).shape == (1, 50, 30, 3)
    run_model_test(
        model, np.random.default_rng(1).random((2, 32, 32, 3)), (2, 32, 32, 3)
    )
    with pytest.raises(ValueError, match="low_level_feature"):
        kp.models.DeepLabV3Plus(3, backbone=backbone)
    with pytest.raises(ValueError, match="stride 4"):
        kp.models.DeepLabV3Plus(
            3, backbone=backbone, low_level_feature="s8", high_level_feature="s16"
        )


def _bilinear_basis(factor, size):
    """Columns: x`factor` bilinear upsampling of each one-hot `size`-vector."""
    layer = kp.layers.BilinearUpsampling(factor)
    eye = np.eye(size, dtype="float32")[:, None, :, None]  # (size, 1, size, 1)
    return np.asarray(layer(eye))[:, 0, :, 0].T  # (size * factor, size)


def _span_residual(logits, basis):
    rows = logits.transpose(0, 1, 3, 2).reshape(-1, logits.shape[2])  # along width
    coefficients = np.linalg.lstsq(basis, rows.T, rcond=None)[0]
    return np.abs(basis @ coefficients - rows.T).max() / np.abs(rows).max()


def test_refinement_gives_stride_2_logits():
    """Without refinement, logits are x4 bilinear upsamplings of a stride-4 map;
    with it, x2 of a stride-2 map (and not x4 of anything)."""
    x = np.random.default_rng(3).random((2, 32, 32, 3)).astype("float32")
    plain = kp.models.DeepLabV3Plus(3, backbone="mobilenet_v2", **SMALL)
    refined = kp.models.DeepLabV3Plus(
        3, backbone="mobilenet_v2", refine_filters=8, **SMALL
    )
    plain_logits, refined_logits = (
        keras.ops.convert_to_numpy(plain(x)),
        keras.ops.convert_to_numpy(refined(x)),
    )
    assert _span_residual(plain_logits, _bilinear_basis(4, 8)) < 1e-4
    assert _span_residual(refined_logits, _bilinear_basis(2, 16)) < 1e-4
    assert _span_residual(refined_logits, _bilinear_basis(4, 8)) > 1e-2
    restored = run_model_test(refined, x, (2, 32, 32, 3))
    assert restored.refine_filters == 8


def test_refinement_of_custom_and_resnet_backbones():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="s2")(inputs)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="s4")(x)
    x = keras.layers.Conv2D(16, 3, strides=4, padding="same", name="s16")(x)
    backbone = keras.Model(inputs, x, name="tiny")
    names = {"low_level_feature": "s4", "high_level_feature": "s16"}
    model = kp.models.DeepLabV3Plus(
        2, backbone=backbone, refine_filters=4, fine_level_feature="s2", **names
    )
    assert model(np.zeros((1, 36, 20, 3), "float32")).shape == (1, 36, 20, 2)
    with pytest.raises(ValueError, match="fine_level_feature"):
        kp.models.DeepLabV3Plus(2, backbone=backbone, refine_filters=4, **names)
    with pytest.raises(ValueError, match="stride 2"):
        kp.models.DeepLabV3Plus(
            2, backbone=backbone, refine_filters=4, fine_level_feature="s4", **names
        )
    with pytest.raises(ValueError, match="stride-2"):
        kp.segmentation.build_encoder(backbone, fine=True, **names)
    encoder = kp.segmentation.build_encoder("resnet50", fine=True).model
    shapes = [t.shape[1] for t in encoder(np.zeros((1, 64, 64, 3), "float32"))]
    assert shapes == [16, 4, 32]


def test_pyramid_backbone_duck_typing():
    """A KerasHub-style backbone exposing `pyramid_outputs` needs no names."""
    inputs = keras.Input((None, None, 3))
    levels, x = {}, inputs
    for level in range(1, 6):
        x = keras.layers.Conv2D(4 * level, 3, strides=2, padding="same")(x)
        levels[f"P{level}"] = x
    backbone = keras.Model(inputs, x)
    backbone.pyramid_outputs = levels
    model = kp.models.DeepLabV3Plus(2, backbone=backbone, output_stride=8, **SMALL)
    assert model.output_stride == 8
    assert model(np.zeros((1, 24, 24, 3), "float32")).shape == (1, 24, 24, 2)


def test_predict_labels_keeps_each_size(small_model):
    rng = np.random.default_rng(2)
    images = [
        rng.integers(0, 256, (30, 20, 3), dtype=np.uint8),
        rng.integers(0, 256, (17, 41, 3), dtype=np.uint8),
        rng.integers(0, 256, (30, 20, 3), dtype=np.uint8),
    ]
    labels = small_model.predict_labels(images, batch_size=2)
    assert [m.shape for m in labels] == [(30, 20), (17, 41), (30, 20)]
    assert all(m.dtype == np.uint8 for m in labels)
    # Each map is the argmax of the model run on that image alone.
    for image, label_map in zip(images, labels, strict=True):
        expected = np.argmax(
            keras.ops.convert_to_numpy(small_model(image[None] / 255.0)), -1
        )[0]
        np.testing.assert_array_equal(label_map, expected)
    floats = small_model.predict_labels(np.stack([images[0], images[2]]) / 255.0)
    np.testing.assert_array_equal(floats, np.stack([labels[0], labels[2]]))
    np.testing.assert_array_equal(small_model.predict_labels(images[1]), labels[1])
    with pytest.raises(ValueError, match="images"):
        small_model.predict_labels(np.zeros((4, 4, 3), np.float32) + 2.0)
    with pytest.raises(ValueError, match="images"):
        small_model.predict_labels([np.zeros((4, 4, 1), np.uint8)])


def test_predict_logits_is_what_predict_labels_takes_the_argmax_of(small_model):
    model = small_model
    rng = np.random.default_rng(1)
    images = [
        rng.integers(0, 256, (30, 20, 3), dtype=np.uint8),
        rng.integers(0, 256, (17, 41, 3), dtype=np.uint8),
    ]
    logits = model.predict_logits(images)
    assert [x.shape for x in logits] == [(30, 20, 5), (17, 41, 5)]
    assert all(x.dtype == np.float32 for x in logits)
    labels = model.predict_labels(images)
    for scores, label_map in zip(logits, labels, strict=True):
        np.testing.assert_array_equal(scores.argmax(-1), label_map)
    direct = keras.ops.convert_to_numpy(model(images[0][None] / 255.0))[0]
    np.testing.assert_allclose(model.predict_logits(images[0]), direct, atol=1e-5)
    batch = model.predict_logits(np.stack([images[0], images[0]]))
    assert batch.shape == (2, 30, 20, 5)


def test_compile_defaults_and_a_training_step():
    data = kp.datasets.make_pattern_garments(4, image_size=(64, 48))
    batches = kp.datasets.segmentation_dataset(data, (64, 48), batch_size=2)
    model = kp.models.DeepLabV3Plus(9, backbone="mobilenet_v2", **SMALL)
    model.compile(run_eagerly=fast_run_eagerly())
    history = model.fit(batches, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])
    assert "mean_iou" in history.history
    # The compiled metric against a NumPy mean IoU of the same predictions:
    # one confusion matrix over all labelled pixels, IoU = TP / (TP + FP + FN)
    # averaged over the classes seen in the truth or the prediction.
    logged = model.evaluate(batches, verbose=0, return_dict=True)["mean_iou"]
    labels = np.concatenate([np.asarray(y) for _, y in batches]).ravel()
    guess = model.predict(batches, verbose=0).argmax(-1).ravel()
    keep = labels != 255
    confusion = np.zeros((9, 9))
    np.add.at(confusion, (labels[keep], guess[keep]), 1)
    tp = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - tp
    expected = np.mean(tp[union > 0] / union[union > 0])
    # Counts are exact; only float32 divisions differ (1e-7), while one
    # pixel of 12288 moved between classes shifts the mean by ~1e-5 or more.
    assert logged == pytest.approx(expected, abs=1e-6)
    assert isinstance(model.loss, kp.losses.MaskedSparseCategoricalCrossentropy)


def test_saved_compiled_model_loads_compiled(tmp_path):
    # Keras skips (with a warning) compile_from_config for a custom compile();
    # DeepLabV3Plus restores it, so training can resume after loading.
    model = kp.models.DeepLabV3Plus(9, backbone="mobilenet_v2", **SMALL)
    weights = [float(w) for w in range(1, 10)]
    model.compile(
        optimizer=keras.optimizers.AdamW(3e-4),
        loss=kp.losses.MaskedSparseCategoricalCrossentropy(class_weights=weights),
    )
    model.optimizer.build(model.trainable_variables)  # as after training
    model.save(tmp_path / "segmenter.keras")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*compile")  # Keras: not restored
        restored = keras.saving.load_model(tmp_path / "segmenter.keras", safe_mode=True)
    assert restored.compiled
    assert restored.loss.get_config()["class_weights"] == weights
    assert isinstance(restored.optimizer, keras.optimizers.AdamW)
    assert float(restored.optimizer.learning_rate) == pytest.approx(3e-4)
    assert restored.get_compile_config() == model.get_compile_config()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_classes": 1}, "num_classes"),
        ({"num_classes": 3, "backbone": "vgg"}, "backbone"),
        ({"num_classes": 3, "output_stride": 32}, "output_stride"),
        ({"num_classes": 3, "input_shape": (64, 64)}, "input_shape"),
        ({"num_classes": 3, "input_shape": (64, 64, 1)}, "input_shape"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kp.models.DeepLabV3Plus(**kwargs)


def test_encoder_batch_norm_momentum_suits_training_from_scratch():
    """MobileNetV2 ships momentum 0.999, too slow for short runs; we use 0.99."""
    encoder = kp.segmentation.build_encoder("mobilenet_v2").model
    momenta = {
        layer.momentum
        for layer in encoder.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    }
    assert momenta == {0.99}
