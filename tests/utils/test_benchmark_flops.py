"""benchmarks/flops.py: conv and dense FLOPs against hand-computed counts."""

import inspect
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

from flops import forward_flops  # noqa: E402
from flops import gflops_per_second  # noqa: E402

L = keras.layers


def make(name, *args, **kwargs):
    """`keras.layers.<name>(*args, **kwargs)` with constant initial weights.

    The counts never depend on weight values, and on JAX every random
    initializer is compiled anew for each shape, about a second apiece.
    """
    cls = getattr(keras.layers, name)
    for arg in inspect.signature(cls.__init__).parameters:
        if arg.endswith("_initializer"):
            kwargs.setdefault(arg, "ones")
    return cls(*args, **kwargs)


def batch(*shape):
    return np.random.default_rng(0).random(shape, dtype=np.float32)


def test_sequential_strides_depthwise_and_dense_per_position():
    model = keras.Sequential(
        [
            keras.Input((9, 9, 3)),
            make("Conv2D", 4, 3, padding="same"),  # -> 9x9x4
            make("BatchNormalization"),
            L.ReLU(),
            make("Conv2D", 6, 3, strides=2, padding="same"),  # 9 is odd: -> 5x5x6
            make("DepthwiseConv2D", 3, depth_multiplier=2),  # valid: -> 3x3x12
            make("Dense", 5),  # at each of the 3x3 positions
            L.GlobalAveragePooling2D(),
        ]
    )
    # 2 x batch x output positions x MACs per output value.
    conv1 = 2 * 2 * (9 * 9 * 4) * (3 * 3 * 3)
    conv2 = 2 * 2 * (5 * 5 * 6) * (3 * 3 * 4)
    depthwise = 2 * 2 * (3 * 3 * 6 * 2) * (3 * 3)
    dense = 2 * 2 * (3 * 3) * 12 * 5
    assert forward_flops(model, batch(2, 9, 9, 3)) == conv1 + conv2 + depthwise + dense
    assert conv1 + conv2 + depthwise + dense == 62640


def test_reused_layers_and_nested_functional_model_count_every_call():
    shared_dense = make("Dense", 3)
    inner_in = keras.Input((4, 4, 3))
    inner = keras.Model(inner_in, shared_dense(shared_dense(inner_in)))
    shared_conv = make("Conv2D", 3, 1)
    outer_in = keras.Input((4, 4, 3))
    x = shared_conv(outer_in)
    x = inner(x)
    x = shared_conv(x)
    model = keras.Model(outer_in, x)
    per_call = 2 * (4 * 4) * 3 * 3  # a 1x1 conv and a Dense are the same work
    assert forward_flops(model, batch(1, 4, 4, 3)) == 4 * per_call == 1152


class ConvBlock(keras.layers.Layer):
    """A subclassed layer: one conv applied twice, then a Dense."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = make("Conv2D", 4, 3, padding="same")
        self.proj = make("Dense", 2)

    def call(self, x):
        return self.proj(self.conv(self.conv(x)) + x)


def test_layers_inside_a_subclassed_layer_are_counted():
    model = keras.Sequential([keras.Input((6, 5, 4)), ConvBlock(), L.Flatten()])
    conv = 2 * (6 * 5 * 4) * (3 * 3 * 4)
    dense = 2 * (6 * 5) * 4 * 2
    assert forward_flops(model, batch(1, 6, 5, 4)) == 2 * conv + dense == 17760


class BuildsItsConv(keras.layers.Layer):
    """Creates its conv in `build`, so an unbuilt one has nothing to find."""

    def build(self, input_shape):
        self.conv = make("Conv2D", 2, 1)

    def call(self, x):
        return self.conv(x)


def test_an_unbuilt_layer_is_built_first():
    assert forward_flops(BuildsItsConv(), batch(1, 3, 3, 4)) == 2 * (3 * 3 * 2) * 4


@pytest.mark.parametrize(
    "layer, shape, expected",
    [
        # 2 x output values x kernel taps x in_channels / groups
        (make("Conv1D", 4, 3, strides=2), (2, 9, 3), 2 * (2 * 4 * 4) * (3 * 3)),
        (make("Conv2D", 6, 3, groups=3), (1, 5, 5, 6), 2 * (3 * 3 * 6) * (3 * 3 * 2)),
        (
            make("Conv2D", 3, 3, dilation_rate=2, padding="same"),
            (1, 7, 7, 2),
            2 * (7 * 7 * 3) * (3 * 3 * 2),
        ),
        (make("Conv3D", 2, 2), (1, 3, 3, 3, 1), 2 * (2 * 2 * 2 * 2) * (2 * 2 * 2)),
        # depthwise 3x3 on 3 x 2 channels, then 1x1 from 6 to 5, at 5x5 positions
        (
            make("SeparableConv2D", 5, 3, depth_multiplier=2),
            (1, 7, 7, 3),
            2 * (5 * 5) * (3 * 2 * 3 * 3 + 3 * 2 * 5),
        ),
        # every input value scattered through 3x3x4 weights
        (
            make("Conv2DTranspose", 4, 3, strides=2, padding="same"),
            (1, 5, 5, 3),
            2 * (5 * 5 * 3) * (3 * 3 * 4),
        ),
        (make("Dense", 5), (3, 4), 2 * 3 * 4 * 5),
        (
            make("EinsumDense", "abc,cde->abde", output_shape=(4, 2, 3)),
            (2, 4, 5),
            2 * (2 * 4 * 5 * 2 * 3),
        ),
        (
            make("EinsumDense", "...b,bc->...c", output_shape=3),
            (2, 4, 5),
            2 * (2 * 4) * 5 * 3,
        ),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, L.Layer) else None,
)
def test_single_layers(layer, shape, expected):
    model = keras.Sequential([keras.Input(shape[1:]), layer])
    assert forward_flops(model, batch(*shape)) == expected
    assert forward_flops(layer, batch(*shape)) == expected  # a bare layer too


def test_classes_are_restored_and_counting_repeats():
    model = keras.Sequential([keras.Input((6, 5, 4)), ConvBlock()])
    x = batch(1, 6, 5, 4)
    expected = model(x)
    first = forward_flops(model, x)
    assert forward_flops(model, x) == first
    block = model.layers[0]
    assert type(block.conv) is L.Conv2D and type(block.proj) is L.Dense
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(x)), keras.ops.convert_to_numpy(expected)
    )


class Fails(keras.layers.Layer):
    def call(self, x):
        raise RuntimeError("fails on purpose")


def test_classes_are_restored_when_the_call_fails():
    conv = make("Conv2D", 2, 1)
    model = keras.Sequential([conv, Fails()])
    with pytest.raises(RuntimeError, match="on purpose"):
        forward_flops(model, batch(1, 4, 4, 3))
    assert type(conv) is L.Conv2D


def test_gflops_per_second():
    assert gflops_per_second(3e9, 1.5) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="seconds"):
        gflops_per_second(1e9, 0)


@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="compares with XLA's cost analysis, which needs the JAX backend",
)
def test_agrees_with_xla_cost_analysis():
    import jax

    def xla_flops(model, x):
        fn = jax.jit(lambda x: model(x, training=False))
        cost = fn.lower(x).compile().cost_analysis()
        return (cost[0] if isinstance(cost, list) else cost)["flops"]

    # Without padding and biases XLA counts exactly the conv and dot work.
    # (XLA skips the padded taps of "same" convolutions, which we count.)
    for layer, shape in [
        (make("Conv2D", 6, 3, strides=2, use_bias=False), (2, 9, 9, 4)),
        (make("DepthwiseConv2D", 3, depth_multiplier=2, use_bias=False), (2, 5, 5, 6)),
        (
            make("SeparableConv2D", 5, 3, depth_multiplier=2, use_bias=False),
            (1, 7, 7, 3),
        ),
        (make("Dense", 5, use_bias=False), (2, 3, 3, 12)),
    ]:
        model = keras.Sequential([keras.Input(shape[1:]), layer])
        x = batch(*shape)
        assert forward_flops(model, x) == xla_flops(model, x)

    # With biases and activations XLA counts more than we do.
    model = keras.Sequential(
        [
            keras.Input((9, 9, 3)),
            make("Conv2D", 4, 3, activation="relu"),
            make("Conv2D", 6, 3, strides=2),
            make("DepthwiseConv2D", 3, depth_multiplier=2),
            make("Dense", 5, activation="sigmoid"),
        ]
    )
    x = batch(2, 9, 9, 3)
    assert forward_flops(model, x) <= xla_flops(model, x)
