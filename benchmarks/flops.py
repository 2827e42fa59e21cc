"""Forward-pass FLOPs of a Keras model, for GFLOP/s next to the reference matmul.

Speed benchmarks print a model's achieved GFLOP/s beside
`machine_speed.reference_matmul_gflops()` measured in the same run, so a
timing can be read against what this machine manages on plain matmuls.

What is counted: the multiply-accumulates (MACs) of the convolution and dense
layers, as FLOPs = 2 x MACs. These matmul-like layers do almost all of the
arithmetic in our networks (ESRGAN's RRDB blocks, DeepLabV3+ and the pattern
embedder), and they are the work that the reference matmul measures.

Not counted: bias adds, activations, normalisation, pooling, resizing,
concatenation, residual adds and every other elementwise or data-movement
operation. These cost a few FLOPs per element, are bound by memory rather than
arithmetic, and would make "GFLOP/s" mean something other than matmul-like
throughput.

Conventions:

* A convolution is charged its full kernel at every output position, padded
  taps included ("same" padding counts the zeros at the border, as fvcore and
  most papers do; XLA's own cost analysis skips them). Dilation changes nothing.
* Grouped convolutions are charged `in_channels / groups` inputs per output.
* A `Dense` layer on an input of rank > 2 is applied at every position.
* The count is for the whole batch that is passed in; divide by the batch
  size for a per-image figure.
"""

import math
import re

import keras

_CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
_CONV_TRANSPOSE = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
_SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
_DENSE = (keras.layers.Dense,)
_EINSUM = (keras.layers.EinsumDense,)
COUNTED_LAYERS = _CONV + _CONV_TRANSPOSE + _DEPTHWISE + _SEPARABLE + _DENSE + _EINSUM


def forward_flops(model, inputs) -> int:
    """FLOPs (2 x MACs) of the conv and dense layers in one forward pass.

    `model` is called once as `model(inputs, training=False)`: eagerly on
    TensorFlow and PyTorch; on JAX under `jax.eval_shape`, which traces the
    same Python call for its shapes without compiling or running anything
    (an eager JAX call would compile every op), inside a
    `keras.StatelessScope` so that no variable is changed. If that trace
    fails, the call is made eagerly instead. A model with unbuilt layers is
    first built by one eager call, so that layers created in `build` are
    found.

    During the counted call every counted layer (Conv1D/2D/3D and their
    transposes, DepthwiseConv1D/2D, SeparableConv1D/2D as depthwise +
    pointwise, Dense and EinsumDense, and subclasses of these) found anywhere
    inside `model` -- in functional or sequential sub-models, or as
    attributes of subclassed layers -- records the shapes it sees, once per
    call, so a layer called twice is counted twice. Bias adds and all
    elementwise work are left out; see the module docstring for the
    conventions. Each layer's class is swapped for a recording subclass for
    the duration of the call only, and restored even if the call fails.

    Args:
        model: a built or unbuilt `keras.Layer` / `keras.Model`; a single
            counted layer works too.
        inputs: what the model is called on, e.g. a NumPy batch.

    Returns:
        The FLOP count for the whole batch, as an `int`.
    """
    if not _fully_built(model):
        model(inputs, training=False)
    records = []
    swapped = []
    try:
        for layer in _counted_layers(model):
            original = layer.__class__
            layer.__class__ = _recording_class(original, records)
            swapped.append((layer, original))
        if not _traced_on_jax(model, inputs):
            records.clear()
            model(inputs, training=False)
    finally:
        for layer, original in swapped:
            layer.__class__ = original
    return sum(
        _layer_flops(layer, in_shape, out_shape)
        for layer, in_shape, out_shape in records
    )


def gflops_per_second(flops, seconds) -> float:
    """`flops` done in `seconds`, in GFLOP/s."""
    if seconds <= 0:
        raise ValueError(f"`seconds` must be positive. Received: seconds={seconds}")
    return flops / seconds / 1e9


def _all_layers(model):
    layers = [model]
    if hasattr(model, "_flatten_layers"):
        layers += list(model._flatten_layers(include_self=False, recursive=True))
    return layers


def _fully_built(model):
    return all(getattr(layer, "built", True) for layer in _all_layers(model))


def _traced_on_jax(model, inputs):
    """Runs the forward pass under `jax.eval_shape`; False if not on JAX or
    if the model cannot be traced."""
    if keras.backend.backend() != "jax":
        return False
    import jax

    def forward(x):
        with keras.StatelessScope():
            return model(x, training=False)

    try:
        jax.eval_shape(forward, inputs)
    except Exception:  # e.g. Python control flow on values: count eagerly
        return False
    return True


def _counted_layers(model):
    """Each counted layer inside `model` (itself included), once."""
    seen, found = set(), []
    for layer in _all_layers(model):
        if isinstance(layer, COUNTED_LAYERS) and id(layer) not in seen:
            seen.add(id(layer))
            found.append(layer)
    return found


def _recording_class(cls, records):
    """A subclass of `cls` whose `call` (and `quantized_call`, for quantized
    layers) appends `(layer, in_shape, out_shape)` to `records`, once per
    outer call even when one of the two calls the other."""
    active = set()  # ids of layers inside a recorded call (quantized_call -> call)

    def recorded(method_name):
        def method(self, *args, **kwargs):
            if id(self) in active:
                return getattr(cls, method_name)(self, *args, **kwargs)
            active.add(id(self))
            try:
                outputs = getattr(cls, method_name)(self, *args, **kwargs)
            finally:
                active.discard(id(self))
            x = args[0] if args else kwargs["inputs"]
            records.append((self, _shape(x), _shape(outputs)))
            return outputs

        method.__name__ = method_name
        return method

    namespace = {
        "call": recorded("call"),
        "quantized_call": recorded("quantized_call"),
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
    }
    return type(cls.__name__, (cls,), namespace)


def _shape(x):
    shape = tuple(x.shape)
    if any(dim is None for dim in shape):
        raise ValueError(
            "forward_flops needs fully known shapes; call the model eagerly on "
            f"a concrete batch. Received a tensor of shape {shape}"
        )
    return tuple(int(dim) for dim in shape)


def _channels(layer, shape):
    channels_first = getattr(layer, "data_format", "channels_last") == "channels_first"
    return shape[1] if channels_first else shape[-1]


def _layer_flops(layer, in_shape, out_shape):
    if isinstance(layer, _SEPARABLE):
        # Depthwise k x k on each input channel (times the depth multiplier),
        # then a 1x1 convolution to `filters`, at each output position.
        positions = math.prod(out_shape) // layer.filters
        depthwise = _channels(layer, in_shape) * layer.depth_multiplier
        macs = positions * depthwise * (math.prod(layer.kernel_size) + layer.filters)
    elif isinstance(layer, _DEPTHWISE):
        # Each output channel sees one input channel through a k x k kernel.
        macs = math.prod(out_shape) * math.prod(layer.kernel_size)
    elif isinstance(layer, _CONV_TRANSPOSE):
        # Each input element is scattered through k x k x filters weights.
        macs = math.prod(in_shape) * math.prod(layer.kernel_size) * layer.filters
    elif isinstance(layer, _CONV):
        per_output = math.prod(layer.kernel_size) * _channels(layer, in_shape)
        macs = math.prod(out_shape) * per_output // layer.groups
    elif isinstance(layer, _DENSE):
        # (elements / in_features) positions x in_features x units.
        macs = math.prod(in_shape) * layer.units
    elif isinstance(layer, _EINSUM):
        macs = _einsum_macs(layer, in_shape, out_shape)
    else:  # pragma: no cover - only counted layers are recorded
        raise TypeError(f"Cannot count FLOPs of {type(layer).__name__}")
    return 2 * macs


def _einsum_macs(layer, in_shape, out_shape):
    """MACs of `einsum(equation, x, kernel)`: the product of every index size."""
    match = re.fullmatch(r"([\w.]+),(\w+)->([\w.]+)", layer.equation.replace(" ", ""))
    if match is None:
        raise ValueError(f"Cannot count FLOPs of the einsum {layer.equation!r}")
    x_spec, kernel_spec, out_spec = match.groups()
    kernel_shape = getattr(layer, "original_kernel_shape", None)
    if kernel_shape is None:
        kernel_shape = layer.kernel.shape
    sizes = {}
    ellipsis = 1
    for spec, shape in ((x_spec, in_shape), (out_spec, out_shape)):
        if "..." in spec:
            head, tail = spec.split("...")
            middle = shape[len(head) : len(shape) - len(tail)]
            ellipsis = max(ellipsis, math.prod(middle))
            shape = shape[: len(head)] + shape[len(shape) - len(tail) :]
            spec = head + tail
        sizes.update(zip(spec, shape, strict=True))
    sizes.update(zip(kernel_spec, (int(d) for d in kernel_shape), strict=True))
    return ellipsis * math.prod(sizes.values())
