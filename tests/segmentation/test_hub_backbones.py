"""DeepLabV3+ on real KerasHub backbones, built from config (random weights).

ResNet-50 (KerasHub's layout: bottleneck blocks [3, 4, 6, 3], stride on
the 3x3 convolution, explicit padding) and a small EfficientNet-B0 layout
(the mobile backbone: depthwise convolutions, squeeze-excite) must reach
output strides 16 and 8 by dilating their last stage(s), every layer and
weight kept, with the backbone's own preprocessing inside the model.
"""

import logging

import keras
import numpy as np
import pytest

import keras_patterns as kp
from keras_patterns.modeling.dilation import dilate
from keras_patterns.modeling.dilation import dilation_plan

pytestmark = pytest.mark.extra("hub")

SMALL = {"aspp_filters": 8, "decoder_filters": 8, "low_level_filters": 4}
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
# A torchvision-style ResNet preset's converter: 0-255 pixels to ImageNet
# mean and standard deviation.
TORCH_CONVERTER = {
    "scale": [1 / (255 * s) for s in IMAGENET_STD],
    "offset": [-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD, strict=True)],
}


def to_numpy(x, dtype=None):
    """Any backend's tensor (a PyTorch one may require grad) as NumPy."""
    return np.asarray(keras.ops.convert_to_numpy(x), dtype)


def resnet(filters=(64, 128, 256, 512), blocks=(3, 4, 6, 3)):
    import keras_hub

    return keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[7],
        stackwise_num_filters=list(filters),
        stackwise_num_blocks=list(blocks),
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="bottleneck_block",
    )


def efficientnet():
    """EfficientNet-B0's layout ("v1" blocks) at a quarter of its width and
    one block a stage."""
    import keras_hub

    return keras_hub.models.EfficientNetBackbone(
        stackwise_width_coefficients=[0.25] * 7,
        stackwise_depth_coefficients=[0.1] * 7,
        stackwise_kernel_sizes=[3, 3, 5, 3, 5, 5, 3],
        stackwise_num_repeats=[1, 2, 2, 3, 3, 4, 1],
        stackwise_input_filters=[32, 16, 24, 40, 80, 112, 192],
        stackwise_output_filters=[16, 24, 40, 80, 112, 192, 320],
        stackwise_expansion_ratios=[1, 6, 6, 6, 6, 6, 6],
        stackwise_strides=[1, 2, 2, 2, 1, 2, 1],
        stackwise_squeeze_and_excite_ratios=[0.25] * 7,
        stackwise_block_types=["v1"] * 7,
        num_features=64,
    )


@pytest.fixture(scope="module")
def resnet50():
    keras.utils.set_random_seed(0)
    return resnet()


def _aspp_input(model, x):
    probe = keras.Model(model.input, model.get_layer("aspp").input)
    return to_numpy(probe(x))


def _head_params(high, low, classes):
    """DeepLab's head with SMALL widths, by hand: convolutions without bias
    followed by batch norm (4 parameters a channel), logits with bias."""
    bn = 4
    aspp = (
        (high * 8 + bn * 8)  # 1x1 branch
        + 3 * (3 * 3 * high * 8 + bn * 8)  # three dilated 3x3 branches
        + (high * 8 + bn * 8)  # image pooling
        + (5 * 8 * 8 + bn * 8)  # projection of the five branches
    )
    decoder = (
        (low * 4 + bn * 4)  # low-level projection
        + (3 * 3 * (8 + 4) * 8 + bn * 8)  # block 1 on the concatenation
        + (3 * 3 * 8 * 8 + bn * 8)  # block 2
        + (8 * classes + classes)  # logits
    )
    return aspp + decoder


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(0).random((1, 67, 93, 3)).astype("float32")


@pytest.fixture(scope="module")
def resnet50_features(resnet50, image):
    """The original network's P2 and P5 (stride 32: 3x3) on `image`."""
    levels = resnet50.pyramid_outputs
    probe = keras.Model(resnet50.input, [levels["P2"], levels["P5"]])
    return [to_numpy(y) for y in probe(image)]


@pytest.mark.parametrize("stride", [16, 8])
def test_resnet50_dilates_stage5_instead_of_dropping_it(
    resnet50, image, resnet50_features, stride
):
    model = kp.models.DeepLabV3Plus(
        3, backbone=resnet50, output_stride=stride, preprocessing="torch", **SMALL
    )
    assert model(image).shape == (1, 67, 93, 3)
    assert model.output_stride == stride
    # The ASPP sits on stage 5's 2048 channels, on the image padded to
    # 80x96 (stride 16) or 72x96 (stride 8) inside the model.
    side = {16: (5, 6), 8: (9, 12)}[stride]
    assert _aspp_input(model, image).shape == (1, *side, 2048)
    # Every backbone weight is there once (23,561,152: ResNet-50 without
    # its classifier, KerasHub's convolutions have no bias) plus the head.
    assert resnet50.count_params() == 23_561_152
    assert model.count_params() == 23_561_152 + _head_params(2048, 256, 3)
    encoder = model.backbone
    for layer in resnet50.layers[1:]:
        for ours, theirs in zip(
            encoder.get_layer(layer.name).get_weights(),
            layer.get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(ours, theirs)
    assert encoder.get_layer("stack3_block0_2_conv").strides == (1, 1)
    rate = {16: 2, 8: 4}[stride]
    assert encoder.get_layer("stack3_block2_2_conv").dilation_rate == (rate, rate)

    # Dilation is the "atrous algorithm": the dilated network computes the
    # original's features at every pixel of a finer grid, so sampling every
    # (32 / stride)-th pixel gives the original's stage 5 back, and P2,
    # before any change, is the original's.
    low, high = (to_numpy(y) for y in encoder(image))
    assert high.shape == (1, *{16: (5, 6), 8: (9, 12)}[stride], 2048)
    original_low, original_high = resnet50_features
    np.testing.assert_allclose(low, original_low, rtol=1e-5, atol=1e-5)
    step = 32 // stride
    scale = np.abs(original_high).max()
    np.testing.assert_allclose(
        high[:, ::step, ::step], original_high, rtol=1e-4, atol=1e-5 * scale
    )


def test_dilate_to_32_changes_nothing():
    backbone = resnet(filters=(64, 16, 16, 16), blocks=(1, 1, 1, 1))
    assert dilation_plan(backbone, 32) == {}
    x = np.random.default_rng(2).random((1, 35, 41, 3)).astype("float32")
    np.testing.assert_array_equal(
        to_numpy(dilate(backbone, 32)(x)), to_numpy(backbone(x))
    )


@pytest.fixture(scope="module")
def mobile():
    keras.utils.set_random_seed(0)
    return efficientnet()


@pytest.mark.parametrize("stride", [16, 8])
def test_mobile_backbone_dilates_its_last_strided_blocks(mobile, stride):
    """EfficientNet-B0 strides in blocks 2a, 3a, 4a and 6a (and its stem):
    stride 16 gives up block 6a's stride, stride 8 block 4a's too."""
    backbone = mobile
    plan = dilation_plan(backbone, stride)
    stopped = {name for name, change in plan.items() if "strides" in change}
    expected = {16: {"block6a_dwconv"}, 8: {"block4a_dwconv", "block6a_dwconv"}}
    assert stopped == expected[stride]
    model = kp.models.DeepLabV3Plus(
        2, backbone=backbone, output_stride=stride, preprocessing="scale255", **SMALL
    )
    x = np.random.default_rng(3).random((2, 67, 93, 3)).astype("float32")
    assert model(x).shape == (2, 67, 93, 2)
    channels = backbone.output.shape[-1]
    side = {16: (5, 6), 8: (9, 12)}[stride]
    assert _aspp_input(model, x).shape == (2, *side, channels)
    low = backbone.pyramid_outputs["P2"].shape[-1]
    assert model.count_params() == backbone.count_params() + _head_params(
        channels, low, 2
    )
    # The first layer that stops striding, sampled on its old grid, is the
    # original layer (everything before it is unchanged).
    first = "block6a_dwconv" if stride == 16 else "block4a_dwconv"
    ours = to_numpy(
        keras.Model(model.backbone.input, model.backbone.get_layer(first).output)(x)
    )
    theirs = to_numpy(keras.Model(backbone.input, backbone.get_layer(first).output)(x))
    np.testing.assert_allclose(ours[:, ::2, ::2], theirs, rtol=1e-5, atol=1e-5)


def test_image_converter_is_the_preprocessing_and_survives_saving(tmp_path):
    """A KerasHub ImageConverter (0-255 pixels) becomes the model's
    preprocessing of [0, 1] images: the converter on x * 255 is the
    reference; these constants are also the "torch" mode."""
    import keras_hub

    keras.utils.set_random_seed(0)
    backbone = resnet(filters=(64, 16, 16, 16), blocks=(1, 1, 1, 1))
    converter = keras_hub.layers.ImageConverter(**TORCH_CONVERTER)
    model = kp.models.DeepLabV3Plus(
        3, backbone=backbone, preprocessing=converter, **SMALL
    )
    x = np.random.default_rng(4).random((2, 35, 29, 3)).astype("float32")
    layer = model.get_layer("preprocessing")
    reference = to_numpy(converter(x * 255.0))
    np.testing.assert_allclose(to_numpy(layer(x)), reference, rtol=1e-5, atol=1e-5)
    from_converter = kp.layers.BackbonePreprocessing.from_image_converter(converter)
    np.testing.assert_allclose(
        to_numpy(from_converter(x)), reference, rtol=1e-5, atol=1e-5
    )
    torch_mode = to_numpy(kp.layers.BackbonePreprocessing("torch")(x))
    np.testing.assert_allclose(to_numpy(layer(x)), torch_mode, rtol=1e-5, atol=1e-5)
    config = model.get_config()
    for key in ("scale", "offset"):
        assert config["preprocessing"][key] == pytest.approx(TORCH_CONVERTER[key])
    preprocessor = keras_hub.models.ResNetImageClassifierPreprocessor(
        image_converter=converter
    )
    from_preprocessor = kp.models.DeepLabV3Plus(
        3, backbone=backbone, preprocessing=preprocessor, **SMALL
    )
    assert from_preprocessor.get_config()["preprocessing"] == config["preprocessing"]

    model.save(tmp_path / "hub.keras")
    restored = keras.saving.load_model(tmp_path / "hub.keras", safe_mode=True)
    np.testing.assert_allclose(
        to_numpy(restored(x)), to_numpy(model(x)), rtol=1e-5, atol=1e-5
    )
    assert restored.count_params() == model.count_params()
    assert model.count_params() == backbone.count_params() + _head_params(64, 256, 3)
    assert restored.get_config()["preprocessing"] == config["preprocessing"]


def test_bare_hub_backbone_warns_and_bad_preprocessing_is_named(caplog):
    backbone = resnet(filters=(64, 16, 16, 16), blocks=(1, 1, 1, 1))
    with caplog.at_level(logging.WARNING):
        model = kp.models.DeepLabV3Plus(2, backbone=backbone, **SMALL)
    assert "ImageConverter.from_preset" in caplog.text
    x = np.random.default_rng(5).random((1, 16, 16, 3)).astype("float32")
    np.testing.assert_array_equal(to_numpy(model.get_layer("preprocessing")(x)), x)
    with pytest.raises(ValueError, match="preprocessing"):
        kp.models.DeepLabV3Plus(2, backbone=backbone, preprocessing="bgr")
    with pytest.raises(ValueError, match="preprocessing"):
        kp.models.DeepLabV3Plus(2, backbone=backbone, preprocessing={"mean": 0.5})
