"""Rebuilding a functional network with changed layer settings.

DeepLabV3+ dilates the last stages of its classifier backbone instead of
striding, and ESRGAN's perceptual loss reads VGG19 features before a ReLU:
both are the same network with a few layer configs changed and every
pretrained weight kept. `dilated_clone` applies such changes;
`dilation_plan` works out the changes that bring any functional CNN (a
`keras.applications` network, a KerasHub backbone) to a smaller output
stride, and `dilate` does both.
"""

import dataclasses
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import keras

from keras_patterns.utils.validation import check_int

# Layers whose window `dilate` can move: convolutions have `dilation_rate`,
# pooling layers have none (a pooling window can stop striding, as ResNet-D's
# shortcut pooling does, but cannot be spread over a dilated grid).
_CONVOLUTIONS = (
    keras.layers.Conv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv2D,
)
_POOLINGS = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)


def dilated_clone(
    model: keras.Model,
    changes: Mapping[str, Mapping[str, Any]],
    bn_momentum: float | None = None,
) -> keras.Model:
    """Rebuilds `model` with per-layer config `changes`, keeping its weights.

    Args:
        model: a functional `keras.Model` (a subclass such as a KerasHub
            backbone comes back as a plain functional model).
        changes: `{layer_name: {config_key: value}}`; shapes of weights must
            not change (strides, dilation and padding do not change them).
        bn_momentum: if given, the momentum of every `BatchNormalization`.

    Returns:
        The rebuilt model, with every layer's weights copied by name.

    Raises:
        ValueError: if `changes` names a layer that `model` does not have.
    """
    unknown = sorted(set(changes) - {layer.name for layer in model.layers})
    if unknown:
        raise ValueError(f"Layers {unknown} are not in model {model.name!r}.")

    def clone(layer):
        config = layer.get_config()
        config.update(changes.get(layer.name, {}))
        if bn_momentum is not None and isinstance(
            layer, keras.layers.BatchNormalization
        ):
            config["momentum"] = bn_momentum
        return layer.__class__.from_config(config)

    rebuilt = keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        if layer.weights:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    return rebuilt


@dataclasses.dataclass(frozen=True)
class _Grid:
    """Where a feature map's pixels sit: `stride` is the input pixels between
    neighbours once dilated, `rate` the dilation that a window over it needs
    (its stride in the original network is `stride * rate`)."""

    stride: int
    rate: int


def _square(value, what, layer):
    values = set(value) if isinstance(value, (tuple, list)) else {value}
    if len(values) != 1:
        raise ValueError(
            f"dilate needs square {what}; layer {layer.name!r} has {what}={value}."
        )
    return int(values.pop())


def _window(layer):
    """`(kernel, stride)` of a layer with a sliding window, else `None`."""
    if isinstance(layer, _CONVOLUTIONS):
        return (
            _square(layer.kernel_size, "kernel_size", layer),
            _square(layer.strides, "strides", layer),
        )
    if isinstance(layer, _POOLINGS):
        return (
            _square(layer.pool_size, "pool_size", layer),
            _square(layer.strides, "strides", layer),
        )
    return None


def _nested_window(layer):
    """`(spatial, stride)` of a composite layer: whether it holds windows
    wider than 1 and the product of its inner strides."""
    spatial, stride = False, 1
    if not isinstance(layer, keras.layers.Layer):  # an op such as `ops.pad`
        return spatial, stride
    for inner in layer._flatten_layers(include_self=False):
        window = _window(inner)
        if window:
            spatial = spatial or window[0] > 1
            stride *= window[1]
    return spatial, stride


def _same_padding(kernel, rate):
    total = rate * (kernel - 1)
    return (total // 2, total - total // 2)


def _plan_window(layer, kernel, stride, grid, output_stride, padders, changes):
    """Plans one convolution or pooling layer and returns its output grid."""
    drop_stride = stride > 1 and grid.stride * stride > output_stride
    if isinstance(layer, _POOLINGS) and kernel > 1 and grid.rate > 1:
        raise ValueError(
            f"Cannot dilate pooling layer {layer.name!r} (pool_size "
            f"{kernel}) behind a stride it gave up: Keras pooling has no "
            "dilation rate."
        )
    change = {}
    if drop_stride:
        change["strides"] = (1,) * len(layer.strides)
    if kernel > 1 and (drop_stride or grid.rate > 1):
        if isinstance(layer, _CONVOLUTIONS):
            original = _square(layer.dilation_rate, "dilation_rate", layer)
            change["dilation_rate"] = (original * grid.rate,) * len(layer.strides)
        if layer.padding == "valid":
            rate = change.get("dilation_rate", (1,))[0]
            padder = padders.get(layer.name)
            if padder:
                padding = _same_padding(kernel, rate)
                changes[padder.name] = {"padding": (padding, padding)}
            else:
                change["padding"] = "same"
    if change:
        changes[layer.name] = change
    if drop_stride:
        return _Grid(grid.stride, grid.rate * stride)
    return _Grid(grid.stride * stride, grid.rate)


def _plan_layer(layer, grids, output_stride, padders, changes):
    """Plans one node of the graph and returns the grid of its output."""
    if len({(g.stride, g.rate) for g in grids}) > 1:
        raise ValueError(
            f"Cannot dilate past layer {layer.name!r}: its inputs lie on "
            f"different grids {grids} (the network upsamples or mixes strides)."
        )
    grid = grids[0]
    window = _window(layer)
    if window:
        return _plan_window(layer, *window, grid, output_stride, padders, changes)
    spatial, stride = _nested_window(layer)
    if (spatial and grid.rate > 1) or (
        stride > 1 and grid.stride * stride > output_stride
    ):
        raise ValueError(
            f"Cannot change the convolutions inside layer {layer.name!r} "
            f"({type(layer).__name__}): only convolution and pooling layers "
            "of the functional graph itself can stop striding or be dilated."
        )
    return _Grid(grid.stride * stride, grid.rate)


def _zero_padders(model):
    """`{window layer name: ZeroPadding2D}` for paddings that feed only it."""
    consumers = {}
    for nodes in model._nodes_by_depth.values():
        for node in nodes:
            for tensor in node.input_tensors:
                consumers.setdefault(id(tensor), []).append(node.operation)
    padders = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.ZeroPadding2D):
            users = consumers.get(id(layer.output), [])
            if len(users) == 1 and _window(users[0]):
                padders[users[0].name] = layer
    return padders


def dilation_plan(model: keras.Model, output_stride: int) -> dict[str, dict]:
    """The layer changes that bring a functional CNN to `output_stride`.

    Walks the graph from the input, following the stride of every feature
    map. A convolution or pooling whose stride would take a feature map
    past `output_stride` stops striding, and every window after it is
    dilated by the stride given up (as in DeepLab and torchvision's
    `replace_stride_with_dilation`: the layer that stops striding keeps the
    rate of its input, the layers after it take the new one). A
    `ZeroPadding2D` feeding a changed "valid" convolution becomes the
    symmetric padding of the new window, so each output pixel of the first
    changed layer equals the original's output on the original's grid.
    Weights keep their shapes.

    Args:
        model: a functional `keras.Model` (a `keras.applications` network,
            a KerasHub backbone), channels-last.
        output_stride: the largest stride to keep, a power of 2.

    Returns:
        `{layer_name: {config_key: value}}` for `dilated_clone`; empty when
        the network never strides past `output_stride`.

    Raises:
        ValueError: if a stride to give up or a window to dilate lies inside
            a composite layer (its config cannot reach it), a pooling window
            would need dilation, or strides are not square.

    Example:

    >>> import keras
    >>> from keras_patterns.modeling.dilation import dilation_plan
    >>> inputs = keras.Input((None, None, 3))
    >>> x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="a")(inputs)
    >>> x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="b")(x)
    >>> x = keras.layers.Conv2D(4, 3, padding="same", name="c")(x)
    >>> plan = dilation_plan(keras.Model(inputs, x), output_stride=2)
    >>> plan["b"]["strides"], plan["c"]["dilation_rate"]
    ((1, 1), (2, 2))
    """
    check_int(output_stride, "output_stride")
    if output_stride & (output_stride - 1):
        raise ValueError(
            '"output_stride" must be a power of 2. '
            f"Received: output_stride={output_stride}"
        )
    padders = _zero_padders(model)
    grids = {id(tensor): _Grid(1, 1) for tensor in model.inputs}
    changes = {}
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if node.is_input:
                continue
            inputs = [grids[id(tensor)] for tensor in node.input_tensors]
            grid = _plan_layer(node.operation, inputs, output_stride, padders, changes)
            for tensor in node.outputs:
                grids[id(tensor)] = grid
    return changes


def dilate(
    model: keras.Model,
    output_stride: int,
    outputs: Sequence[Any] | None = None,
    bn_momentum: float | None = None,
) -> keras.Model:
    """A copy of `model` that strides at most `output_stride`, by dilation.

    `dilation_plan` and `dilated_clone` together: the copy has the same
    layers, names and weights (a preset's ImageNet weights are kept) and
    its feature maps past `output_stride` are larger, not poorer.

    Args:
        model: a functional `keras.Model`, channels-last.
        output_stride: the largest stride to keep, a power of 2.
        outputs: tensors of `model`'s graph to output instead of its own
            outputs (pyramid levels, say), in that order.
        bn_momentum: if given, the momentum of every `BatchNormalization`.

    Returns:
        A functional `keras.Model`.

    Example:

    >>> import keras
    >>> from keras_patterns.modeling.dilation import dilate
    >>> inputs = keras.Input((None, None, 3))
    >>> x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    >>> x = keras.layers.Conv2D(4, 3, strides=2, padding="same")(x)
    >>> dilated = dilate(keras.Model(inputs, x), output_stride=2)
    >>> tuple(dilated(keras.ops.zeros((1, 8, 8, 3))).shape)
    (1, 4, 4, 4)
    """
    plain = keras.Model(
        model.input, model.output if outputs is None else outputs, name=model.name
    )
    return dilated_clone(plain, dilation_plan(plain, output_stride), bn_momentum)
