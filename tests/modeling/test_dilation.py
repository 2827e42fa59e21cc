"""`dilation_plan` / `dilate` against hand-written plans and by brute force."""

import keras
import numpy as np
import pytest

from keras_patterns.modeling.dilation import dilate
from keras_patterns.modeling.dilation import dilation_plan
from keras_patterns.segmentation.backbones import _mobilenet_v2_plan
from keras_patterns.segmentation.backbones import _resnet50_plan


def to_numpy(x, dtype=None):
    """Any backend's tensor (a PyTorch one may require grad) as NumPy."""
    return np.asarray(keras.ops.convert_to_numpy(x), dtype)


@pytest.mark.parametrize(
    "application, hand_plan",
    [
        (keras.applications.ResNet50, _resnet50_plan),
        (keras.applications.MobileNetV2, _mobilenet_v2_plan),
    ],
)
def test_plan_of_keras_applications_is_the_hand_written_one(application, hand_plan):
    """DeepLab's plans for ResNet-50 (stride on the 1x1 convolution) and
    MobileNetV2 (explicit asymmetric padding before the strided depthwise
    convolution), written out by hand layer by layer, found from the graph."""
    model = application(include_top=False, weights=None)
    for output_stride in (16, 8):
        assert dilation_plan(model, output_stride) == hand_plan(output_stride)
    assert dilation_plan(model, 32) == {}


def _three_stage_net():
    """Three stride-2 stages of explicitly padded "valid" 3x3 convolutions
    (the KerasHub way), a residual 1x1 shortcut, then a dilated 3x3."""
    inputs = keras.Input((None, None, 2))
    x = keras.layers.ZeroPadding2D(1, name="pad1")(inputs)
    x = keras.layers.Conv2D(3, 3, strides=2, name="conv1")(x)
    y = keras.layers.ZeroPadding2D(1, name="pad2")(x)
    y = keras.layers.Conv2D(4, 3, strides=2, name="conv2")(y)
    shortcut = keras.layers.Conv2D(4, 1, strides=2, name="shortcut2")(x)
    x = keras.layers.Add(name="add2")([y, shortcut])
    x = keras.layers.ZeroPadding2D(1, name="pad3")(x)
    x = keras.layers.Conv2D(5, 3, strides=2, name="conv3")(x)
    x = keras.layers.Conv2D(5, 3, padding="same", name="conv4")(x)
    return keras.Model(inputs, x)


def _conv_numpy(x, kernel, stride, rate, pad):
    """Brute-force convolution of one image `(H, W, C)` with a `(k, k, C, O)`
    kernel, zero padding `pad` on every side."""
    k = kernel.shape[0]
    padded = np.pad(x, ((pad, pad), (pad, pad), (0, 0)))
    span = rate * (k - 1) + 1
    rows = range(0, padded.shape[0] - span + 1, stride)
    cols = range(0, padded.shape[1] - span + 1, stride)
    out = np.zeros((len(rows), len(cols), kernel.shape[-1]))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            window = padded[r : r + span : rate, c : c + span : rate]
            out[i, j] = np.einsum("abc,abco->o", window, kernel)
    return out


def test_plan_of_a_small_net_by_hand():
    model = _three_stage_net()
    assert dilation_plan(model, 4) == {
        "conv3": {"strides": (1, 1), "dilation_rate": (1, 1)},
        "pad3": {"padding": ((1, 1), (1, 1))},
        "conv4": {"dilation_rate": (2, 2)},
    }
    assert dilation_plan(model, 2) == {
        "conv2": {"strides": (1, 1), "dilation_rate": (1, 1)},
        "pad2": {"padding": ((1, 1), (1, 1))},
        "shortcut2": {"strides": (1, 1)},
        "conv3": {"strides": (1, 1), "dilation_rate": (2, 2)},
        "pad3": {"padding": ((2, 2), (2, 2))},
        "conv4": {"dilation_rate": (4, 4)},
    }


def test_dilated_convolutions_by_brute_force():
    """The first changed convolution, stride 1 and the same padding, equals
    the strided one on the strided grid; the next, dilated by 2 with padding
    2, is a NumPy dilated convolution; and the whole dilated network,
    sampled every 2nd pixel, is the original network."""
    keras.utils.set_random_seed(0)
    model = _three_stage_net()
    x = np.random.default_rng(0).random((1, 13, 10, 2)).astype("float32")
    dilated = dilate(model, 4)
    for layer in model.layers[1:]:  # after the input
        for a, b in zip(
            layer.get_weights(),
            dilated.get_layer(layer.name).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)

    def features(net, name):
        return to_numpy(keras.Model(net.input, net.get_layer(name).output)(x))[0]

    before_conv3 = features(model, "add2")  # unchanged by the plan
    conv3, conv4 = (model.get_layer(n).get_weights() for n in ("conv3", "conv4"))
    strided = _conv_numpy(before_conv3, conv3[0], 2, 1, 1) + conv3[1]
    np.testing.assert_allclose(features(model, "conv3"), strided, atol=1e-5)
    ours = features(dilated, "conv3")
    assert ours.shape[:2] == before_conv3.shape[:2]
    np.testing.assert_allclose(ours[::2, ::2], strided, atol=1e-5)
    np.testing.assert_allclose(
        features(dilated, "conv4"),
        _conv_numpy(ours, conv4[0], 1, 2, 2) + conv4[1],
        atol=1e-5,
    )
    np.testing.assert_allclose(
        to_numpy(dilated(x))[:, ::2, ::2], to_numpy(model(x)), atol=1e-5
    )


class _StridedBlock(keras.layers.Layer):
    """A composite layer striding inside: its config cannot reach the
    convolution."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = keras.layers.Conv2D(4, 3, strides=2, padding="same")

    def call(self, inputs):
        return self.conv(inputs)


def test_what_cannot_be_dilated_is_named():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    x = _StridedBlock(name="block")(x)
    with pytest.raises(ValueError, match="inside layer 'block'"):
        dilation_plan(keras.Model(inputs, x), 2)
    assert dilation_plan(keras.Model(inputs, x), 4) == {}

    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool")(x)
    x = keras.layers.AveragePooling2D(2, padding="same", name="smooth")(x)
    with pytest.raises(ValueError, match="pooling layer 'smooth'"):
        dilation_plan(keras.Model(inputs, x), 2)
    with pytest.raises(ValueError, match="output_stride"):
        dilation_plan(keras.Model(inputs, x), 12)
