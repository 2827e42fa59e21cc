"""Upsampling by an integer factor with slicing and reshapes only.

Models here must take any height and width, also when TensorFlow traces
them with unknown spatial dimensions (as `predict` does after seeing a few
sizes). `keras.ops.image.resize` needs static sizes there, so an integer
factor is written as `factor` phases, each a fixed weighted sum of shifted
slices of the padded input, interleaved by a reshape. Half-pixel centres
and TensorFlow's edge handling: `tf.image.resize` without antialiasing.
Nearest neighbour needs none of this (`keras.layers.UpSampling2D` repeats
pixels, as `upsample` does); bilinear and bicubic are hand-written because
Keras' resizing cannot trace them with unknown sizes.
"""

from keras import ops

from keras_patterns.utils.typing import Tensor

INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


def _keys_cubic(distance, a=-0.5):
    """Keys' cubic convolution kernel (a = -0.5, TensorFlow's bicubic)."""
    d = abs(distance)
    if d <= 1:
        return (a + 2) * d**3 - (a + 3) * d**2 + 1
    if d < 2:
        return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a
    return 0.0


def phase_taps(factor: int, interpolation: str) -> list[list[tuple[int, float]]]:
    """For each output phase, `[(offset, weight), ...]` over the input.

    Output pixel `factor * j + p` is `sum(weight * x[j + offset])` (at the
    edges: bilinear clamps `x`, bicubic renormalises the inside weights).

    Args:
        factor: positive int, the upsampling factor.
        interpolation: `"bilinear"` or `"bicubic"`.

    Returns:
        A list of `factor` phases, each a list of `(offset, weight)` taps.
    """
    taps = []
    for p in range(factor):
        position = (p + 0.5) / factor - 0.5  # in [-0.5, 0.5)
        base = -1 if position < 0 else 0
        fraction = position - base
        if interpolation == "bilinear":
            taps.append([(base, 1.0 - fraction), (base + 1, fraction)])
        else:
            taps.append([(base + k, _keys_cubic(fraction - k)) for k in range(-1, 3)])
    return taps


def _window(x, start, size, axis):
    if axis == 1:
        return x[:, start : start + size]
    return x[:, :, start : start + size]


def _edge(x, axis, last=False):
    """The first (or last) row, column or channel of `x`, keeping the axis.

    Slicing rather than `ops.take`, which the PyTorch backend writes with
    `ravel`, an op PyTorch's ONNX exporter cannot export.
    """
    index = [slice(None)] * 4
    index[axis] = slice(-1, None) if last else slice(0, 1)
    return x[tuple(index)]


def _pad(x, pad, axis, edge):
    if edge:  # repeat the edge pixels
        first, last = _edge(x, axis), _edge(x, axis, last=True)
    else:  # zeros
        first = last = ops.zeros_like(_edge(x, axis))
    return ops.concatenate([first] * pad + [x] + [last] * pad, axis=axis)


def _phases(padded, taps, pad, size, axis):
    phases = []
    for phase in taps:
        terms = [_window(padded, pad + offset, size, axis) * w for offset, w in phase]
        phases.append(sum(terms[1:], terms[0]))
    return phases


def _upsample_axis(x, factor, axis, interpolation):
    size = ops.shape(x)[axis]
    taps = phase_taps(factor, interpolation)
    if interpolation == "bilinear":
        phases = _phases(_pad(x, 1, axis, edge=True), taps, 1, size, axis)
    else:
        # Taps outside the image are dropped and the others renormalised,
        # as TensorFlow's bicubic does: sum(w x) / sum(w) over the inside.
        values = _phases(_pad(x, 2, axis, edge=False), taps, 2, size, axis)
        inside = ops.ones_like(_edge(x, 3))
        norms = _phases(_pad(inside, 2, axis, edge=False), taps, 2, size, axis)
        phases = [v / n for v, n in zip(values, norms, strict=True)]
    stacked = ops.stack(phases, axis=axis + 1)
    shape = ops.shape(x)
    new_shape = [shape[0], shape[1], shape[2], shape[3]]
    new_shape[axis] = shape[axis] * factor
    return ops.reshape(stacked, new_shape)


def upsample(x: Tensor, factor: int, interpolation: str = "bilinear") -> Tensor:
    """Upsamples `(batch, H, W, C)` images by the integer `factor`.

    Args:
        x: a channels-last image batch (a backend tensor).
        factor: positive int, the same for height and width.
        interpolation: `"nearest"` (each pixel repeated), `"bilinear"` or
            `"bicubic"` (Keys, a = -0.5).

    Returns:
        `(batch, factor * H, factor * W, C)`, equal to `tf.image.resize`
        with that method and no antialiasing.

    Example:

    >>> import numpy as np
    >>> from keras_patterns.utils.polyphase import upsample
    >>> row = np.array([[[[0.0], [1.0]]]], "float32")
    >>> np.asarray(upsample(row, 2, "bilinear"))[0, 0, :, 0]
    array([0.  , 0.25, 0.75, 1.  ], dtype=float32)
    """
    if factor == 1:
        return x
    if interpolation == "nearest":  # UpSampling2D's way: no static size needed
        return ops.repeat(ops.repeat(x, factor, axis=1), factor, axis=2)
    x = _upsample_axis(x, factor, 1, interpolation)
    return _upsample_axis(x, factor, 2, interpolation)
