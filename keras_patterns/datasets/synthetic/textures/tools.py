"""Shared tools of the texture families: noise, warps, relief, colours, cells, bands."""

from typing import Any

import numpy as np

from keras_patterns.datasets.synthetic.drawing import contrasting_colors
from keras_patterns.datasets.synthetic.drawing import luma
from keras_patterns.datasets.synthetic.drawing import random_color
from keras_patterns.utils.typing import ArrayLike

NOISE_SIZE = 64
"""Side of a spec's noise lattice; a power of two, so cells wrap by masking."""

CELLS = 16
"""Side of the per-cell random tables (also a power of two)."""

TAU = np.float32(2 * np.pi)
# Standard deviation of one octave of `_lattice` over N(0, 1) lattice values.
_OCTAVE_STD = 0.74


# === Shared tools: noise, warps, relief, colours, cells ===


def noise_table(rng: np.random.Generator) -> np.ndarray:
    """A random lattice for `fractal_noise`, padded so neighbours need no wrap.

    Args:
        rng: a `numpy.random.Generator`.

    Returns:
        float32 array `(NOISE_SIZE + 1, NOISE_SIZE + 1)` of N(0, 1) values
        whose last row and column repeat the first.
    """
    table = rng.standard_normal((NOISE_SIZE, NOISE_SIZE)).astype(np.float32)
    return np.pad(table, ((0, 1), (0, 1)), mode="wrap")


def _lattice(x, y, table):
    """Value noise at lattice coordinates, smoothstep-interpolated."""
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    fx = fx * fx * (3 - 2 * fx)
    fy = fy * fy * (3 - 2 * fy)
    mask, row = NOISE_SIZE - 1, NOISE_SIZE + 1
    index = (y0.astype(np.int64) & mask) * row + (x0.astype(np.int64) & mask)
    flat = table.ravel()
    a, b = flat.take(index), flat.take(index + 1)
    c, d = flat.take(index + row), flat.take(index + row + 1)
    top = a + (b - a) * fx
    return top + (c + (d - c) * fx - top) * fy


def fractal_noise(
    u: np.ndarray,
    v: np.ndarray,
    scale: float,
    table: np.ndarray,
    octaves: int = 4,
    gain: float = 0.5,
) -> np.ndarray:
    """Fractal Brownian motion: octaves of value noise, each twice as fine.

    Args:
        u: horizontal pattern coordinates.
        v: vertical pattern coordinates, the shape of `u`.
        scale: size of the coarsest features, in pattern units.
        table: a lattice from `noise_table`; the noise repeats every
            `NOISE_SIZE * scale` units.
        octaves: number of octaves.
        gain: amplitude ratio of each octave to the previous one (higher is
            rougher).

    Returns:
        The noise, about zero mean and unit standard deviation, an array of
        the shape of `u`.
    """
    x, y = u * np.float32(1.0 / scale), v * np.float32(1.0 / scale)
    total, amplitude, power = _lattice(x, y, table), 1.0, 1.0
    for octave in range(1, octaves):
        amplitude *= gain
        power += amplitude * amplitude
        frequency = np.float32(2.0**octave)
        shift = np.float32(17.31 * octave)
        total = total + amplitude * _lattice(
            x * frequency + shift, y * frequency - shift, table
        )
    return total * np.float32(1.0 / (_OCTAVE_STD * np.sqrt(power)))


def domain_warp(
    u: np.ndarray,
    v: np.ndarray,
    scale: float,
    amount: float,
    table: np.ndarray,
    octaves: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """Pushes coordinates around by two independent fractal noises.

    Args:
        u: horizontal pattern coordinates.
        v: vertical pattern coordinates, the shape of `u`.
        scale: size of the warp's coarsest swirls, in pattern units.
        amount: typical displacement, in pattern units.
        table: a lattice from `noise_table`.
        octaves: octaves of the warping noise.

    Returns:
        The warped `(u, v)`.
    """
    shift = np.float32(23.7 * scale)
    du = fractal_noise(u, v, scale, table, octaves)
    dv = fractal_noise(u + shift, v - shift, scale, table, octaves)
    return u + np.float32(amount) * du, v + np.float32(amount) * dv


def relief(
    height: np.ndarray,
    pixel: float,
    depth: float,
    azimuth: float,
    elevation: float = 0.7,
    ambient: float = 0.2,
) -> np.ndarray:
    """Lambert shading of a height field lit from one side.

    Args:
        height: float array `(H, W)`, the surface height in units of `depth`.
        pixel: the size of one image pixel in pattern units, so that a
            surface keeps its slopes at every zoom.
        depth: height of one unit of `height`, in pattern units.
        azimuth: direction the light comes from in the image, in radians.
        elevation: the light's height above the surface, in radians.
        ambient: the share of light that reaches every point (sky light),
            so that slopes facing away are dark but not black.

    Returns:
        float32 array `(H, W)`: 1 on flat ground, brighter on slopes facing
        the light, darker (down to `ambient`) on slopes facing away.
    """
    if min(height.shape) < 2:
        return np.ones(height.shape, np.float32)
    gy, gx = np.gradient(height)
    k = np.float32(depth / pixel)
    nx, ny = gx * k, gy * k
    lx, ly = np.cos(azimuth) * np.cos(elevation), np.sin(azimuth) * np.cos(elevation)
    lz = np.sin(elevation)
    lit = (lz - np.float32(lx) * nx - np.float32(ly) * ny) / np.sqrt(
        nx * nx + ny * ny + 1
    )
    shade = np.float32(ambient) + np.float32(1 - ambient) * np.maximum(lit / lz, 0)
    return np.minimum(shade, 2.5).astype(np.float32, copy=False)


def colour_ramp(t: np.ndarray, colors: ArrayLike) -> np.ndarray:
    """Piecewise-linear colour map of `t` in [0, 1] through `colors` (k, 3)."""
    colors = np.asarray(colors, np.float32)
    x = np.clip(t, 0.0, 1.0) * np.float32(len(colors) - 1)
    i = np.minimum(x.astype(np.int64), len(colors) - 2)
    return colors[i] + (colors[i + 1] - colors[i]) * (x - i)[..., None]


def apply_shading(out: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Multiplies an image `(H, W, 3)` by a brightness `(H, W)`."""
    out *= factor[..., None]
    return out


def random_palette(
    rng: np.random.Generator, n: int, min_contrast: float = 0.15
) -> np.ndarray:
    """`n` colours: contrasting ones, or one hue family in varied values."""
    if rng.random() < 0.55:
        return np.stack(contrasting_colors(rng, n, min_contrast))
    hue, spread = rng.random(), rng.uniform(0.0, 0.12)
    colors = [random_color(rng, hue=hue)]
    for _ in range(50 * n):
        if len(colors) == n:
            break
        candidate = random_color(rng, hue=hue + rng.uniform(-spread, spread))
        if abs(luma(candidate) - luma(colors[0])) >= min_contrast:
            colors.append(candidate)
    while len(colors) < n:
        colors.append(1.0 - colors[0])
    return np.stack(colors).astype(np.float32)


def natural_colour(
    rng: np.random.Generator,
    hue: tuple[float, float],
    value: tuple[float, float],
    saturation: tuple[float, float],
) -> np.ndarray:
    """A colour with hue drawn in a range (turns): wood, skin, stone tones."""
    return random_color(rng, value, saturation, hue=rng.uniform(*hue))


def cell_table(rng: np.random.Generator, columns: int) -> np.ndarray:
    """Random values `(CELLS, CELLS, columns)` of a periodic lattice of cells."""
    return rng.random((CELLS, CELLS, columns)).astype(np.float32)


def per_cell(i: np.ndarray, j: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The random values `(..., columns)` of integer cells `(i, j)`."""
    mask = CELLS - 1
    return table[j.astype(np.int64) & mask, i.astype(np.int64) & mask]


def voronoi(
    x: np.ndarray,
    y: np.ndarray,
    table: np.ndarray,
    jitter: float,
    stagger: float = 0.0,
) -> tuple[np.ndarray, ...]:
    """Nearest and second-nearest jittered lattice points (distances in cells).

    Returns `(f1, f2, value, px, py)`: the two distances, the nearest cell's
    third random value and the nearest point.
    """
    j0 = np.floor(y)
    f1 = np.full(x.shape, 9.0, np.float32)
    f2, value, px, py = (
        f1.copy(),
        np.zeros_like(f1),
        np.zeros_like(f1),
        np.zeros_like(f1),
    )
    for dj in (-1.0, 0.0, 1.0):
        j = j0 + dj
        shift = np.float32(stagger) * (j % 2)
        i0 = np.floor(x - shift)
        for di in (-1.0, 0.0, 1.0):
            i = i0 + di
            cell = per_cell(i, j, table)
            cx = i + shift + 0.5 + jitter * (cell[..., 0] - 0.5)
            cy = j + 0.5 + jitter * (cell[..., 1] - 0.5)
            d = np.hypot(x - cx, y - cy)
            closer = d < f1
            f2 = np.where(closer, f1, np.minimum(f2, d))
            f1 = np.where(closer, d, f1)
            value = np.where(closer, cell[..., 2], value)
            px, py = np.where(closer, cx, px), np.where(closer, cy, py)
    return f1, f2, value, px, py


def _stripe_colors(t, spec, pixel):
    """Bands along `t` of `spec["edges"]` widths, coloured by `spec["order"]`.

    Returns the colours `(H, W, 3)` and each pixel's position across its band
    (0 at one edge, 1 at the other).
    """
    edges, palette, order = spec["edges"], spec["palette"], spec["order"]
    k = len(order)
    s = np.mod(t, np.float32(edges[-1]))
    index = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, k - 1)
    left, right = s - edges[index], edges[index + 1] - s
    own = palette[order[index]]
    other = palette[order[np.where(left < right, index - 1, (index + 1) % k)]]
    near = np.minimum(left, right)
    weight = np.clip(0.5 + near / np.float32(pixel + spec["soft"]), 0.5, 1.0)
    colors = other + (own - other) * weight[..., None]
    return colors, left / np.maximum(left + right, 1e-6)


def _profile(position, kind, amount):
    """Brightness across a band: rounded, metallic or ramped."""
    x = 2 * position - 1
    if kind == "round":
        return 1 + np.float32(amount) * (0.35 - x * x)
    if kind == "metal":
        return 1 + np.float32(amount) * (np.exp(-((x + 0.35) ** 2) * 18) - 0.6 * x * x)
    return 1 + np.float32(amount) * 0.5 * x


def sample_bands(rng: np.random.Generator, period: float, kind: str) -> dict[str, Any]:
    """Band widths and colours shared by stripes and wavy lines."""
    n = int(rng.integers(2, 5))
    palette = random_palette(rng, n, 0.18)
    if kind == "irregular":
        widths = rng.lognormal(0, 0.8, int(rng.integers(5, 13)))
        widths *= rng.uniform(2.5, 4.0) * period / widths.sum()
    elif kind == "pinstripe":
        lines = int(rng.integers(1, 4))
        line, gap = rng.uniform(0.7, 2.0), rng.uniform(1.2, 4.0)
        widths = np.array([period] + [line, gap] * (lines - 1) + [line])
    else:
        widths = rng.uniform(0.25, 1.0, int(rng.integers(2, 5)))
        widths *= period / widths.sum()
    if kind == "pinstripe":
        order = [rng.integers(1, n) if k % 2 else 0 for k in range(len(widths))]
    else:
        order = [0]
        for _ in range(1, len(widths)):
            order.append((order[-1] + rng.integers(1, n)) % n)
    soft = rng.uniform(0.5, 0.3 * widths.min() + 1.0) if rng.random() < 0.2 else 0.0
    return {
        "palette": palette,
        "edges": np.concatenate([[0.0], np.cumsum(widths)]).astype(np.float32),
        "order": np.asarray(order, np.int64),
        "soft": float(soft),
        "profile": rng.choice(["round", "metal", "ramp"]),
        "profile_amount": 0.0,
        "grain": rng.uniform(0.0, 0.1) if rng.random() < 0.5 else 0.0,
    }


def paint_bands(
    spec: dict[str, Any], t: np.ndarray, u: np.ndarray, v: np.ndarray, pixel: float
) -> np.ndarray:
    """Bands of `spec`'s colours along `t`, anti-aliased at `pixel`."""
    out, position = _stripe_colors(t, spec, pixel)
    if spec["profile_amount"]:
        apply_shading(out, _profile(position, spec["profile"], spec["profile_amount"]))
    if spec["grain"]:
        grain = fractal_noise(u, v * 4.0, 2.0, spec["noise"], 2)
        apply_shading(out, 1 + np.float32(spec["grain"] * 0.5) * grain)
    return out
